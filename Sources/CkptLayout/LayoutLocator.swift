/// Step one of detection: where in the key space a model sits. Tries each known wrapper (`model.` from
/// fvcore checkpoints and the `.pth` reader, `module.` from DistributedDataParallel) and looks for each
/// layout's telltale key; exactly one layout must fit.
struct LayoutLocation {
    var kind: LayoutKind
    /// Wrapper around everything (`""`, `"model."`, `"module."`, `"model.module."`).
    var wrapper: String
    /// Backbone prefix (backbone layouts: wrapper plus an optional wrapping model's prefix such as
    /// HF's `dinov2.`; train: filled per branch).
    var prefix: String
    /// The wrapping model the backbone sits in, if any (HF's image classifier).
    var wrapping: BackboneLayout.Wrapper?

    var description: String {
        let at = prefix.isEmpty ? "" : " under \"\(prefix)\""
        if let layout = BackboneLayouts.layout(kind) { return layout.description + at }
        switch kind {
        case .dinov2Train: return "a DINOv2 training checkpoint\(wrapper.isEmpty ? "" : " under \"\(wrapper)\"")"
        default: return "a DINOHead\(at)"
        }
    }
}

enum LayoutLocator {
    static let wrappers = ["", "module.", "model.", "model.module."]
    static let trainParts = ["backbone.", "dino_head.", "ibot_head."]

    static func candidates(_ names: Set<String>, sorted: [String]) -> [LayoutLocation] {
        var found: [LayoutLocation] = []
        for w in wrappers {
            let trainPrefixes = TrainBranch.allCases.flatMap { b in trainParts.map { w + b.rawValue + "." + $0 } }
            if sorted.contains(where: { name in trainPrefixes.contains { name.hasPrefix($0) } }) {
                found.append(LayoutLocation(kind: .dinov2Train, wrapper: w, prefix: w))
            }
            var backbones: [LayoutLocation] = []
            for layout in BackboneLayouts.all {
                let subs: [BackboneLayout.Wrapper?] = [nil] + layout.wrappers
                for sub in subs where names.contains(w + (sub?.prefix ?? "") + layout.telltale) {
                    backbones.append(LayoutLocation(kind: layout.kind, wrapper: w, prefix: w + (sub?.prefix ?? ""), wrapping: sub))
                }
            }
            found += distinguished(backbones, sorted: sorted)
            if names.contains(w + "mlp.0.weight"), sorted.contains(where: { $0.hasPrefix(w + "last_layer.") }) {
                found.append(LayoutLocation(kind: .dinoHead, wrapper: w, prefix: w))
            }
        }
        return found
    }

    /// Layouts whose telltale is the same key at the same prefix (the original and timm both name
    /// the patch embedding `patch_embed.proj.weight`) are told apart by the rest of the names: the
    /// one that leaves the fewest names unexplained, then the one that misses the fewest of the keys
    /// every model has, then table order. Layouts found by different telltales stay separate
    /// candidates: a file holding two of them is ambiguous.
    static func distinguished(_ locations: [LayoutLocation], sorted: [String]) -> [LayoutLocation] {
        var kept: [LayoutLocation] = []
        for location in locations {
            let telltale = BackboneLayouts.layout(location.kind)!.telltale
            if let i = kept.firstIndex(where: { $0.prefix == location.prefix && BackboneLayouts.layout($0.kind)!.telltale == telltale }) {
                if fit(location, sorted) < fit(kept[i], sorted) { kept[i] = location }
            } else {
                kept.append(location)
            }
        }
        return kept
    }

    /// (names under the prefix this layout does not spell, keys of every model it spells that are absent).
    static func fit(_ location: LayoutLocation, _ sorted: [String]) -> (unexplained: Int, missing: Int) {
        let layout = BackboneLayouts.layout(location.kind)!
        let local = sorted.filter { $0.hasPrefix(location.prefix) }.map { name -> String in
            let plain = layout.fileSpelling(String(name.dropFirst(location.prefix.count)))
            return layout.chunkedBlocks ? dechunked(plain).name : plain
        }
        let unexplained = local.filter { BackboneTable.match($0, layout: location.kind) == nil }.count
        let present = Set(local)
        let required = BackboneTable.rules.filter { !$0.perBlock && $0.condition == .always }.flatMap { rule -> [String] in
            let spelling = layout.spelling(of: rule)
            return spelling.missingNote == nil ? spelling.names : []
        }
        return (unexplained, required.filter { !present.contains($0) }.count)
    }

    /// For an unrecognised checkpoint: which names look like parts of a known layout, and which do not.
    static func explain(_ names: [String]) -> (recognised: [String], unrecognised: [String]) {
        var counts: [String: Int] = [:]
        var order: [String] = []
        var unrecognised: [String] = []
        let strips = [""] + BackboneLayouts.all.flatMap { $0.wrappers.map(\.prefix) } + ["module.", "model."]
        for name in names {
            var group: String?
            for layout in BackboneLayouts.all {
                for strip in strips where name.hasPrefix(strip) {
                    let local = layout.fileSpelling(String(name.dropFirst(strip.count)))
                    if BackboneTable.match(local, layout: layout.kind) != nil || (layout.chunkedBlocks && dechunked(local).chunk != nil) {
                        group = "\(layout.label) keys" + (strip.isEmpty ? "" : " under \"\(strip)\"")
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
            var telltales: [String] = []
            for layout in BackboneLayouts.all where !telltales.contains(layout.telltale) { telltales.append(layout.telltale) }
            recognised.append("but no telltale key (\(telltales.joined(separator: ", ")), mlp.0.weight + last_layer.*, teacher./student.)")
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
