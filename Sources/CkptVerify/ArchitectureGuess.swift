import CkptCheckpoint
import CkptForward
import CkptFormat
import CkptLayout
/// A best-effort reading of a *damaged* backbone: the layout, key prefix and architecture most of its
/// keys agree on. `Layouts.detect` rightly refuses an incomplete model; `verify` still needs the
/// intended architecture to list what is missing or misshapen, so every dimension here is taken by
/// majority over the tensors that carry it, and one broken tensor cannot move it.
enum ArchitectureGuess {
    struct Guess {
        var layout: LayoutKind
        var prefix: String
        var architecture: Architecture
    }

    static func guess(_ c: Checkpoint) -> Guess? {
        // Vote for (layout, prefix) by where each key's layout root starts.
        var votes: [String: (LayoutKind, String, Int)] = [:]
        for name in c.names {
            for (kind, roots) in KeyDiagnosis.roots {
                for root in roots {
                    var prefix: String?
                    if name.hasPrefix(root) { prefix = "" } else if let r = name.range(of: "." + root) {
                        prefix = String(name[..<name.index(after: r.lowerBound)])
                    }
                    if let prefix {
                        let key = kind.rawValue + "|" + prefix
                        votes[key, default: (kind, prefix, 0)].2 += 1
                    }
                }
            }
        }
        guard let (layout, prefix, _) = votes.values.max(by: { $0.2 != $1.2 ? $0.2 < $1.2 : $0.1 > $1.1 }) else { return nil }
        var local: [String: TensorEntry] = [:]
        for t in c.tensors where t.name.hasPrefix(prefix) {
            var n = String(t.name.dropFirst(prefix.count))
            if layout == .dinov2, let plain = KeyDiagnosis.unchunk(n) { n = plain }
            local[n] = t
        }
        let hf = layout == .hf
        func shape(_ hfName: String, _ dinov2Name: String) -> [Int]? { local[hf ? hfName : dinov2Name]?.shape }
        let blockPrefix = hf ? "encoder.layer." : "blocks."
        var depth = 0
        var widths: [Int] = [], hidden: [Int] = []
        var swiglu = false
        for (n, t) in local where n.hasPrefix(blockPrefix) {
            let rest = n.dropFirst(blockPrefix.count)
            guard let dot = rest.firstIndex(of: "."), let i = Int(rest[..<dot]) else { continue }
            depth = max(depth, i + 1)
            let leaf = rest[rest.index(after: dot)...]
            if (leaf == "norm1.weight" || leaf == "norm2.weight"), t.shape.count == 1 { widths.append(t.shape[0]) }
            if leaf.hasPrefix("mlp.w12.") || leaf.hasPrefix("mlp.weights_in.") { swiglu = true }
            if ["mlp.fc2.weight", "mlp.w3.weight", "mlp.weights_out.weight"].contains(String(leaf)), t.shape.count == 2 {
                hidden.append(t.shape[1])
            }
        }
        guard depth > 0, let width = mode(widths) else { return nil }
        let patch = shape("embeddings.patch_embeddings.projection.weight", "patch_embed.proj.weight").flatMap { $0.count == 4 ? $0[2] : nil } ?? 14
        var grid = 37
        if let pos = shape("embeddings.position_embeddings", "pos_embed"), pos.count == 3, pos[1] >= 2 {
            grid = Int(Double(pos[1] - 1).squareRoot().rounded(.down))
        }
        let registers = shape("embeddings.register_tokens", "register_tokens").flatMap { $0.count == 3 ? $0[1] : nil } ?? 0
        var heads = width % 64 == 0 ? width / 64 : (width % 16 == 0 ? width / 16 : 1)
        if let h = c.config?["num_attention_heads"]?.intValue, h > 0 { heads = h }
        let arch = Architecture(width: width, depth: depth, heads: heads, patchSize: patch, imageSize: grid * patch,
                                registers: registers, ffn: swiglu ? .swiglu : .mlp, ffnHidden: mode(hidden))
        return Guess(layout: layout, prefix: prefix, architecture: arch)
    }

    /// The most frequent value (ties: the larger), nil for none.
    static func mode(_ values: [Int]) -> Int? {
        var counts: [Int: Int] = [:]
        for v in values { counts[v, default: 0] += 1 }
        return counts.max { $0.value != $1.value ? $0.value < $1.value : $0.key < $1.key }?.key
    }
}
