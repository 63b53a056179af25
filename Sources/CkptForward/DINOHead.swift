import CkptCheckpoint
import CkptFormat
import CkptLayout
/// A DINOv2 `DINOHead` (nlayers 3, no batch norm) applied to CLS embeddings:
/// `Linear → GELU → Linear → GELU → Linear`, L2-normalise (eps 1e-12), then the weight-normed last
/// layer `x · (g · v / ‖v‖_row)ᵀ` without bias.
public struct DINOHead: Sendable {
    public let inputWidth: Int
    public let hiddenWidth: Int
    public let bottleneck: Int
    public let outputWidth: Int
    let entries: [String: TensorEntry]
    public let source: String

    /// Reads a DINOHead: a head file in either weight-norm spelling, or a training checkpoint's
    /// teacher `dino_head` (through `Layouts.headTensors`, which names g and v the legacy way).
    public init(checkpoint: Checkpoint) throws {
        source = checkpoint.path
        var found: [String: TensorEntry] = [:]
        for t in try Layouts.headTensors(checkpoint, weightNorm: .legacy) { found[t.name] = t }
        found["g"] = found[WeightNormSpelling.legacy.gKey]
        found["v"] = found[WeightNormSpelling.legacy.vKey]
        guard let l0 = found["mlp.0.weight"], l0.shape.count == 2, let v = found["v"], v.shape.count == 2 else {
            throw CkptError.invalidRequest("\(source): no DINOHead with 2-D mlp.0.weight and last_layer.weight_v")
        }
        inputWidth = l0.shape[1]
        hiddenWidth = l0.shape[0]
        bottleneck = v.shape[1]
        outputWidth = v.shape[0]
        let expected: [(String, [Int])] = [
            ("mlp.0.weight", [hiddenWidth, inputWidth]), ("mlp.0.bias", [hiddenWidth]),
            ("mlp.2.weight", [hiddenWidth, hiddenWidth]), ("mlp.2.bias", [hiddenWidth]),
            ("mlp.4.weight", [bottleneck, hiddenWidth]), ("mlp.4.bias", [bottleneck]),
            ("g", [outputWidth, 1]), ("v", [outputWidth, bottleneck]),
        ]
        var problems: [String] = []
        for (name, shape) in expected {
            guard let t = found[name] else { problems.append("missing tensor \"\(name)\""); continue }
            if t.shape != shape { problems.append("tensor \"\(t.name)\" has shape \(t.shape), expected \(shape)") }
            if !t.dtype.isCastableFloat { problems.append("tensor \"\(t.name)\" is \(t.dtype.rawValue), not a float type") }
        }
        if !problems.isEmpty { throw CkptError.invalidDirectory(path: source, problems: problems) }
        entries = found
    }

    static let order = ["mlp.0.weight", "mlp.0.bias", "mlp.2.weight", "mlp.2.bias", "mlp.4.weight", "mlp.4.bias", "g", "v"]

    /// Applies the head to `rows` embeddings of `inputWidth`, returning `[rows, outputWidth]`.
    public func apply(_ x: [Float], rows: Int) throws -> [Float] {
        guard x.count == rows * inputWidth else {
            throw CkptError.invalidRequest("\(source): DINOHead expects \(inputWidth)-wide embeddings, got \(x.count / max(rows, 1))")
        }
        try Kernels.loadBLAS()
        return try WeightLender.lend(DINOHead.order.map { entries[$0]! }) { lent in
            let p = lent.map { $0.baseAddress! }
            let ws = Workspace([rows * hiddenWidth, rows * hiddenWidth, rows * bottleneck, outputWidth * bottleneck, rows * outputWidth])
            defer { ws.release() }
            let h1 = ws[0], h2 = ws[1], z = ws[2], weight = ws[3], out = ws[4]
            x.withUnsafeBufferPointer { xb in
                Kernels.linear(xb.baseAddress!, rows: rows, in: inputWidth, weight: p[0], out: hiddenWidth, bias: p[1], into: h1)
            }
            Kernels.gelu(h1, count: rows * hiddenWidth)
            Kernels.linear(h1, rows: rows, in: hiddenWidth, weight: p[2], out: hiddenWidth, bias: p[3], into: h2)
            Kernels.gelu(h2, count: rows * hiddenWidth)
            Kernels.linear(h2, rows: rows, in: hiddenWidth, weight: p[4], out: bottleneck, bias: p[5], into: z)
            for r in 0..<rows {  // F.normalize(dim=-1, p=2, eps=1e-12)
                let row = z + r * bottleneck
                var sq: Float = 0
                for i in 0..<bottleneck { sq += row[i] * row[i] }
                let inv = 1 / max(sq.squareRoot(), 1e-12)
                for i in 0..<bottleneck { row[i] *= inv }
            }
            for o in 0..<outputWidth {  // weight norm: w = v · (g / ‖v‖) per output row
                let v = p[7] + o * bottleneck, dst = weight + o * bottleneck
                var sq: Float = 0
                for i in 0..<bottleneck { sq += v[i] * v[i] }
                let s = p[6][o] / sq.squareRoot()
                for i in 0..<bottleneck { dst[i] = v[i] * s }
            }
            Kernels.linear(z, rows: rows, in: bottleneck, weight: weight, out: outputWidth, bias: nil, into: out)
            return Array(UnsafeBufferPointer(start: out, count: rows * outputWidth))
        }
    }
}
