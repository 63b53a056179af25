import CkptCheckpoint
import CkptCore

/// DINOv3's derived tensors: Meta's saved buffers that transformers and timm compute instead
/// (`rope_embed.periods`, each block's `attn.qkv.bias_mask`), regenerated when a model is read from a
/// layout without them, and checked when read from Meta's files; and the key bias, which only Meta's
/// layout can hold.
enum DINOv3Buffers {
    /// Meta's `rope_embed.periods` for `a`, float32 (the released `pos_embed_rope_dtype`).
    static func periods(_ a: Architecture, name: String) -> TensorEntry {
        let values = a.ropePeriods
        return TensorEntry(name: name, shape: [values.count], floats: values, sourcePath: "(rope_theta)")
    }

    /// `bias_mask` for a qkv bias of `dtype` and 3·D rows: ones, zeros over the key third, ones, as
    /// `init_weights_vit` fills it.
    static func biasMask(_ a: Architecture, name: String, dtype: DType) -> TensorEntry {
        let d = a.width
        let values = (0..<(3 * d)).map { $0 >= d && $0 < 2 * d ? Float(0) : Float(1) }
        var out = [UInt8](repeating: 0, count: dtype.byteCount(for: [3 * d]) ?? 4 * values.count)
        values.withUnsafeBytes { src in out.withUnsafeMutableBytes { FloatCast.convert(src, from: .f32, to: dtype, into: $0) } }
        return TensorEntry(name: name, dtype: dtype, shape: [3 * d], segments: [.memory(out)], sourcePath: "(mask_k_bias)")
    }

    /// The canonical tensor of `rule` that a layout without it (`Spelling.derived`) regenerates, and
    /// the note that says so.
    static func regenerate(_ key: BackboneKey, _ a: Architecture, canonical: [String: TensorEntry]) -> (TensorEntry, String)? {
        if key.rule.name == "rope_embed.periods" {
            return (periods(a, name: key.name), "rope_embed.periods: regenerated from rope_theta \(a.ropeTheta) in float32 (base ** (2·i / (head_dim/2)), \(a.headDim / 4) values)")
        }
        if key.rule.name == "blocks.{i}.attn.qkv.bias_mask" {
            let dtype = canonical[BackboneTable.rule(.qkvBias, for: a).pattern.filled(key.block)]?.dtype ?? .f32
            return (biasMask(a, name: key.name, dtype: dtype), "attn.qkv.bias_mask: regenerated as ones, zeros over the key third, ones (mask_k_bias)")
        }
        return nil
    }

    /// Checks Meta's saved buffers against the model: every `bias_mask` must be ones, zeros over the
    /// key third, ones (an uninitialised one is NaN), and `periods` must be what `rope_theta` gives,
    /// in the stored dtype. A masked key third that holds non-zero values is read as zeros (the mask
    /// makes it so in Meta's forward pass), with a note.
    static func checkMeta(_ canonical: inout [String: TensorEntry], _ a: Architecture, path: String, notes: inout [String]) throws {
        var problems: [String] = []
        if let stored = canonical["rope_embed.periods"] {
            let got = try floats(stored)
            let want = a.ropePeriods
            let close = got.count == want.count && zip(got, want).allSatisfy { abs($0 - $1) <= 0.008 * abs($1) }
            if !close {
                problems.append("rope_embed.periods \(got) are not the periods of rope_theta \(a.ropeTheta) (\(want)); the forward pass computes them from rope_theta")
            } else if got != want {
                notes.append("rope_embed.periods are stored in \(stored.dtype.rawValue) (rounded); the forward pass computes them from rope_theta \(a.ropeTheta) in float32, as transformers does")
            }
        }
        var zeroed = 0
        for i in 0..<a.depth where a.maskedKeyBias {
            let maskName = "blocks.\(i).attn.qkv.bias_mask", biasName = "blocks.\(i).attn.qkv.bias"
            guard let mask = canonical[maskName], let bias = canonical[biasName] else { continue }
            let m = try floats(mask), d = a.width
            let expected = m.indices.allSatisfy { m[$0] == (($0 >= d && $0 < 2 * d) ? 0 : 1) }
            if !expected {
                let nan = m.contains { $0.isNaN }
                problems.append("\(maskName) is not ones, zeros over the key third, ones\(nan ? " (it holds NaN: the buffer was never initialised; init_weights() fills it)" : "")")
                continue
            }
            var b = try floats(bias)
            if b[d..<(2 * d)].contains(where: { $0 != 0 }) {
                for j in d..<(2 * d) { b[j] = 0 }
                var out = [UInt8](repeating: 0, count: bias.byteCount)
                b.withUnsafeBytes { src in out.withUnsafeMutableBytes { FloatCast.convert(src, from: .f32, to: bias.dtype, into: $0) } }
                canonical[biasName] = TensorEntry(name: biasName, dtype: bias.dtype, shape: bias.shape, segments: [.memory(out)], sourcePath: bias.sourcePath)
                zeroed += 1
            }
        }
        if zeroed > 0 {
            notes.append("attn.qkv.bias: the key third holds non-zero values in \(zeroed) block\(zeroed == 1 ? "" : "s"), masked by bias_mask: read as zeros, which is what Meta's forward pass uses")
        }
        if !problems.isEmpty { throw LayoutError(path: path, problem: .inconsistent(problems)) }
    }

    /// Refuses a key bias that is neither masked nor zero: the target (`names`, transformers' or
    /// timm's query and value biases) has no place for it and dropping it would change the outputs.
    static func requireZeroKeyBias(_ bias: TensorEntry, target names: [String]) throws {
        let b = try floats(bias), d = b.count / 3
        guard let i = (d..<(2 * d)).first(where: { b[$0] != 0 }) else { return }
        throw LayoutError(path: bias.sourcePath, problem: .cannotConvert([
            "\(bias.name) has a key bias (element \(i) is \(b[i]), not masked by a bias_mask) and the target holds only \(names.joined(separator: " and ")): dropping it would change the outputs"]))
    }

    /// The values of a float tensor as float32.
    static func floats(_ t: TensorEntry) throws -> [Float] {
        guard t.dtype.isCastableFloat else { throw CkptError.notFloat(path: t.sourcePath, tensor: t.name, dtype: t.dtype.rawValue) }
        let raw = try t.contiguousBytes()
        return raw.withUnsafeBytes { FloatCast.toFloat32($0, from: t.dtype) }
    }
}
