import CkptCheckpoint
import CkptFormat
import CkptLayout
/// The backbone tensors the forward pass reads, by their original DINOv2 names, checked against an
/// `Architecture` before anything runs. Any layout `Layouts` reads works: original (plain, chunked,
/// training checkpoint teacher), HF folder or file, classifier.
public struct ViTWeights: Sendable {
    public let architecture: Architecture
    /// Tensors by original name.
    let entries: [String: TensorEntry]
    /// Where the tensors came from, for messages.
    public let source: String

    /// The checkpoint's backbone under original names, sharing the source's bytes.
    static func tensors(of checkpoint: Checkpoint) throws -> [TensorEntry] {
        try Layouts.backboneTensors(checkpoint, as: .dinov2)
    }

    /// Reads the backbone of `checkpoint`, inferring its architecture from tensor shapes (and
    /// `config.json` when there is one). `heads` overrides the head count, which the original
    /// layout does not record.
    public init(checkpoint: Checkpoint, heads: Int? = nil, layerNormEps: Double? = nil) throws {
        let list = try ViTWeights.tensors(of: checkpoint)
        var configHeads: Int? = nil
        var configEps: Double? = nil
        if let config = checkpoint.config {
            configHeads = config["num_attention_heads"]?.intValue
            configEps = config["layer_norm_eps"]?.doubleValue
        }
        try self.init(tensors: list, source: checkpoint.path, heads: heads ?? configHeads,
                      layerNormEps: layerNormEps ?? configEps)
    }

    /// Builds from original-named tensors; every missing tensor or wrong shape is reported at once.
    public init(tensors list: [TensorEntry], source: String, heads: Int? = nil, layerNormEps: Double? = nil) throws {
        var entries: [String: TensorEntry] = [:]
        for t in list { entries[t.name] = t }
        self.source = source
        let arch = try ViTWeights.inferArchitecture(entries, source: source, heads: heads, layerNormEps: layerNormEps)
        var problems: [String] = []
        for (name, shape) in ViTWeights.expectedShapes(arch) {
            guard let t = entries[name] else { problems.append("missing tensor \"\(name)\" \(shape)"); continue }
            if t.shape != shape { problems.append("tensor \"\(name)\" has shape \(t.shape), expected \(shape) for \(arch.summary)") }
            if !t.dtype.isCastableFloat { problems.append("tensor \"\(name)\" is \(t.dtype.rawValue), not a float type") }
        }
        if !problems.isEmpty { throw CkptError.invalidDirectory(path: source, problems: problems) }
        self.architecture = arch
        self.entries = entries
    }

    // MARK: - Architecture

    /// Width, depth, registers, grid and FFN from shapes; heads from the caller, else head_dim 64
    /// (every released DINOv2) when D is a multiple of 64, else head_dim 16 (the small test models).
    static func inferArchitecture(_ e: [String: TensorEntry], source: String, heads: Int?, layerNormEps: Double?) throws -> Architecture {
        func fail(_ why: String) -> CkptError { .invalidRequest("\(source): cannot infer the architecture: \(why)") }
        guard let cls = e["cls_token"], cls.shape.count == 3 else { throw fail("no cls_token [1, 1, D]") }
        let width = cls.shape[2]
        guard let patch = e["patch_embed.proj.weight"], patch.shape.count == 4, patch.shape[2] == patch.shape[3] else {
            throw fail("no patch_embed.proj.weight [D, 3, p, p]")
        }
        guard let pos = e["pos_embed"], pos.shape.count == 3, pos.shape[1] >= 2 else { throw fail("no pos_embed [1, 1+G², D]") }
        let g = Int(Double(pos.shape[1] - 1).squareRoot().rounded())
        guard g * g == pos.shape[1] - 1 else { throw fail("pos_embed has \(pos.shape[1] - 1) patch positions, not a square grid") }
        var depth = 0
        while e["blocks.\(depth).norm1.weight"] != nil { depth += 1 }
        guard depth > 0 else { throw fail("no blocks.0.norm1.weight") }
        let registers = e["register_tokens"]?.shape[1] ?? 0
        let swiglu = e["blocks.0.mlp.w12.weight"] != nil
        let hidden = swiglu ? (e["blocks.0.mlp.w3.weight"]?.shape.last ?? 0) : (e["blocks.0.mlp.fc1.weight"]?.shape.first ?? 0)
        let h = heads ?? (width % 64 == 0 ? width / 64 : max(width / 16, 1))
        guard h > 0, width % h == 0 else { throw fail("width \(width) is not divisible by \(h) heads") }
        return Architecture(width: width, depth: depth, heads: h, patchSize: patch.shape[2], imageSize: g * patch.shape[2],
                            registers: registers, ffn: swiglu ? .swiglu : .mlp, ffnHidden: hidden,
                            layerNormEps: layerNormEps ?? 1e-6)
    }

    /// Every tensor the forward pass reads, with its shape.
    static func expectedShapes(_ a: Architecture) -> [(String, [Int])] {
        let d = a.width, p = a.patchSize, g = a.gridSize
        var out: [(String, [Int])] = [
            ("cls_token", [1, 1, d]), ("pos_embed", [1, 1 + g * g, d]),
            ("patch_embed.proj.weight", [d, 3, p, p]), ("patch_embed.proj.bias", [d]),
            ("norm.weight", [d]), ("norm.bias", [d]),
        ]
        if a.registers > 0 { out.append(("register_tokens", [1, a.registers, d])) }
        for i in 0..<a.depth { out += blockShapes(a, i) }
        return out
    }

    static func blockShapes(_ a: Architecture, _ i: Int) -> [(String, [Int])] {
        let d = a.width, h = a.ffnHidden, b = "blocks.\(i)."
        let ffn: [(String, [Int])] = a.ffn == .mlp
            ? [("mlp.fc1.weight", [h, d]), ("mlp.fc1.bias", [h]), ("mlp.fc2.weight", [d, h]), ("mlp.fc2.bias", [d])]
            : [("mlp.w12.weight", [2 * h, d]), ("mlp.w12.bias", [2 * h]), ("mlp.w3.weight", [d, h]), ("mlp.w3.bias", [d])]
        let attn: [(String, [Int])] = [
            ("norm1.weight", [d]), ("norm1.bias", [d]), ("attn.qkv.weight", [3 * d, d]), ("attn.qkv.bias", [3 * d]),
            ("attn.proj.weight", [d, d]), ("attn.proj.bias", [d]), ("ls1.gamma", [d]), ("norm2.weight", [d]), ("norm2.bias", [d]),
        ]
        return (attn + ffn + [("ls2.gamma", [d])]).map { (b + $0.0, $0.1) }
    }

    /// The tensor named `name` (validated to exist by `init`).
    func entry(_ name: String) -> TensorEntry { entries[name]! }
}
