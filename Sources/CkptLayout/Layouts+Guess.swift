import CkptCheckpoint
import CkptFormat
/// What `verify` needs from the table to explain a *damaged* backbone, which `analyze` rightly refuses.
extension Layouts {
    /// The first component of every key each backbone layout spells (`blocks.`, `cls_token`,
    /// `embeddings.`, …), read from `BackboneTable`: what marks a key as spelled in that layout,
    /// whatever prefix it carries.
    package static let keyRoots: [(LayoutKind, [String])] = [LayoutKind.hf, .dinov2].map { layout in
        var roots: [String] = []
        for rule in BackboneTable.rules {
            for pattern in layout == .hf ? rule.hf : [rule.dinov2] {
                let root = pattern.firstIndex(of: ".").map { String(pattern[...$0]) } ?? pattern
                if !roots.contains(root) { roots.append(root) }
            }
        }
        return (layout, roots)
    }

    /// `blocks.{c}.{i}.rest` → `blocks.{i}.rest` (canonical decimals only, as detection reads them);
    /// nil for any other key.
    package static func unchunked(_ key: String) -> String? {
        let (name, chunk) = LayoutLocator.dechunked(key)
        return chunk == nil ? nil : name
    }

    /// A best-effort architecture of a backbone whose keys (prefix stripped) are spelled in `layout`,
    /// complete or not. Each dimension is the majority over the tensors whose table shape carries it,
    /// so one broken tensor cannot move it. Heads are resolved by `Architecture.heads` from `config`
    /// (`headsRule` says which rule chose them when it does not give them); an unreadable patch size
    /// or grid falls back to 14 and 37. nil when no block key is recognised.
    package static func guessArchitecture(_ tensors: [String: TensorEntry], layout: LayoutKind,
                                          config: JSONValue?) -> (architecture: Architecture, headsRule: String?)? {
        var depth = 0
        var widths: [Int] = [], hidden: [Int] = []
        var swiglu = false
        var patch = 14, grid = 37, registers = 0
        for (name, t) in tensors {
            let local = layout == .dinov2 ? LayoutLocator.dechunked(name).name : name
            guard let (key, _) = BackboneTable.match(local, layout: layout) else { continue }
            let dims = key.rule.shape
            if let block = key.block {
                depth = max(depth, block + 1)
                if key.rule.condition == .swiglu { swiglu = true }
                if dims == [.width], t.shape.count == 1 { widths.append(t.shape[0]) }
                if dims == [.width, .ffnHidden], t.shape.count == 2 { hidden.append(t.shape[1]) }
                continue
            }
            guard dims.count == t.shape.count else { continue }
            for (dim, value) in zip(dims, t.shape) {
                switch dim {
                case .patch: patch = value
                case .tokens where value >= 2: grid = Int(Double(value - 1).squareRoot().rounded(.down))
                case .registers: registers = value
                default: break
                }
            }
        }
        guard depth > 0, let width = mode(widths) else { return nil }
        let (heads, rule) = Architecture.heads(width: width, recorded: config?["num_attention_heads"]?.intValue)
        let arch = Architecture(width: width, depth: depth, heads: heads, patchSize: patch, imageSize: grid * patch,
                                registers: registers, ffn: swiglu ? .swiglu : .mlp, ffnHidden: mode(hidden))
        return (arch, rule)
    }

    /// The most frequent value (ties: the larger), nil for none.
    static func mode(_ values: [Int]) -> Int? {
        var counts: [Int: Int] = [:]
        for v in values { counts[v, default: 0] += 1 }
        return counts.max { $0.value != $1.value ? $0.value < $1.value : $0.key < $1.key }?.key
    }
}
