import CkptCheckpoint
import CkptCore
import CkptLayout
/// A DINOv2 `DINOHead` (nlayers 3, no batch norm) applied to CLS embeddings:
/// `Linear → GELU → Linear → GELU → Linear`, L2-normalise (eps 1e-12), then the weight-normed last
/// layer `x · (g · v / ‖v‖_row)ᵀ` without bias.
public struct DINOHead: Sendable {
    /// Width of the embeddings it takes (the backbone width).
    public let inputWidth: Int
    /// Width of the two hidden layers.
    public let hiddenWidth: Int
    /// Width before the L2 normalisation and the last layer.
    public let bottleneck: Int
    /// Width of `head_output` (the prototypes).
    public let outputWidth: Int
    /// The head's tensors in `HeadTable` order: three (weight, bias) pairs, then g and v.
    let ordered: [TensorEntry]
    /// The checkpoint the head was read from, for messages.
    public let source: String

    /// Reads a DINOHead: a head file in either weight-norm spelling, or a training checkpoint's
    /// teacher `dino_head`. Keys and shapes are checked by `Layouts` against `HeadTable`; this pass
    /// computes DINOv2's three linear layers, so it refuses any other depth.
    public init(checkpoint: Checkpoint) throws {
        try self.init(analysis: Layouts.analyze(checkpoint))
    }

    /// The DINOHead of an analysed checkpoint (its layout is not analysed again).
    package init(analysis: Layouts.Analysis) throws {
        source = analysis.checkpoint.path
        let conversion = try Layouts.convertHead(analysis, weightNorm: .legacy)
        guard let h = conversion.detected.head else { preconditionFailure("convertHead returned no head architecture") }
        var problems: [String] = []
        if h.layers != 3 { problems.append("the DINOHead has \(h.layers) linear layers; the forward pass computes DINOv2's 3") }
        problems += conversion.tensors.filter { !$0.dtype.isCastableFloat }
            .map { "tensor \"\($0.name)\" is \($0.dtype.rawValue), not a float type" }
        if !problems.isEmpty { throw CkptError.unusableTensors(path: source, problems: problems) }
        inputWidth = h.inDim
        hiddenWidth = h.hiddenDim
        bottleneck = h.bottleneckDim
        outputWidth = h.outDim
        // HeadTable order: mlp.0, mlp.2, mlp.4 (weight, bias), then g and v of the last layer.
        ordered = conversion.tensors
    }

    /// Applies the head to `rows` embeddings of `inputWidth`, returning `[rows, outputWidth]`.
    public func apply(_ x: [Float], rows: Int) throws -> [Float] {
        guard x.count == rows * inputWidth else {
            throw CkptError.unusableTensors(path: source, problems: [
                "DINOHead expects \(inputWidth)-wide embeddings, got \(x.count / max(rows, 1))"])
        }
        try Kernels.loadBLAS()
        return try WeightLender.lend(ordered) { lent in
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
