import CkptCheckpoint
import CkptFormat
/// Step one of detection: where in the key space a model sits. Tries each known wrapper (`model.` from
/// fvcore checkpoints and the `.pth` reader, `module.` from DistributedDataParallel) and looks for each
/// layout's telltale key; exactly one layout must fit.
struct LayoutLocation {
    var kind: LayoutKind
    /// Wrapper around everything (`""`, `"model."`, `"module."`, `"model.module."`).
    var wrapper: String
    /// Backbone prefix (hf/dinov2: wrapper plus an optional `dinov2.`; train: filled per branch).
    var prefix: String

    var description: String {
        let at = prefix.isEmpty ? "" : " under \"\(prefix)\""
        switch kind {
        case .hf: return "an HF backbone\(at)"
        case .dinov2: return "an original DINOv2 backbone\(at)"
        case .dinoHead: return "a DINOHead\(at)"
        case .dinov2Train: return "a DINOv2 training checkpoint\(wrapper.isEmpty ? "" : " under \"\(wrapper)\"")"
        }
    }
}

enum LayoutLocator {
    static let wrappers = ["", "module.", "model.", "model.module."]
    static let hfTelltale = "embeddings.patch_embeddings.projection.weight"
    static let dinov2Telltale = "patch_embed.proj.weight"
    static let trainParts = ["backbone.", "dino_head.", "ibot_head."]

    static func candidates(_ names: Set<String>, sorted: [String]) -> [LayoutLocation] {
        var found: [LayoutLocation] = []
        for w in wrappers {
            let trainPrefixes = TrainBranch.allCases.flatMap { b in trainParts.map { w + b.rawValue + "." + $0 } }
            if sorted.contains(where: { name in trainPrefixes.contains { name.hasPrefix($0) } }) {
                found.append(LayoutLocation(kind: .dinov2Train, wrapper: w, prefix: w))
            }
            for sub in ["", "dinov2."] where names.contains(w + sub + hfTelltale) {
                found.append(LayoutLocation(kind: .hf, wrapper: w, prefix: w + sub))
            }
            if names.contains(w + dinov2Telltale) {
                found.append(LayoutLocation(kind: .dinov2, wrapper: w, prefix: w))
            }
            if names.contains(w + "mlp.0.weight"), sorted.contains(where: { $0.hasPrefix(w + "last_layer.") }) {
                found.append(LayoutLocation(kind: .dinoHead, wrapper: w, prefix: w))
            }
        }
        return found
    }

    /// For an unrecognised checkpoint: which names look like parts of a known layout, and which do not.
    static func explain(_ names: [String]) -> (recognised: [String], unrecognised: [String]) {
        var counts: [String: Int] = [:]
        var order: [String] = []
        var unrecognised: [String] = []
        for name in names {
            var group: String?
            for (kind, label) in [(LayoutKind.hf, "HF backbone"), (.dinov2, "original DINOv2 backbone")] {
                for strip in ["", "dinov2.", "module.", "model."] where name.hasPrefix(strip) {
                    if BackboneTable.match(String(name.dropFirst(strip.count)), layout: kind) != nil
                        || (kind == .dinov2 && dechunked(String(name.dropFirst(strip.count))).chunk != nil) {
                        group = "\(label) keys" + (strip.isEmpty ? "" : " under \"\(strip)\"")
                        break
                    }
                }
                if group != nil { break }
            }
            if group == nil, HeadTable.canonical(name) != nil { group = "DINOHead keys" }
            if group == nil, name.hasPrefix("teacher.") || name.hasPrefix("student.") { group = "training-checkpoint keys" }
            if let group {
                if counts[group] == nil { order.append(group) }
                counts[group, default: 0] += 1
            } else {
                unrecognised.append(name)
            }
        }
        var recognised = order.map { "\(counts[$0]!) \($0)" }
        if !recognised.isEmpty {
            recognised.append("but no telltale key (\(hfTelltale), \(dinov2Telltale), mlp.0.weight + last_layer.*, teacher./student.)")
        }
        return (recognised, unrecognised)
    }

    /// `blocks.{c}.{i}.rest` → (`blocks.{i}.rest`, c); other names unchanged with chunk nil.
    static func dechunked(_ name: String) -> (name: String, chunk: Int?) {
        guard name.hasPrefix("blocks.") else { return (name, nil) }
        let parts = name.split(separator: ".", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, let c = Pattern.decimal(parts[1]), Pattern.decimal(parts[2]) != nil else { return (name, nil) }
        return ("blocks.\(parts[2]).\(parts[3])", c)
    }
}
