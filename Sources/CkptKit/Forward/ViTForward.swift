/// The result of a forward pass.
public struct EmbedOutput: Sendable {
    public let batch: Int
    /// Tokens per image: CLS, registers, patches.
    public let tokens: Int
    public let width: Int
    /// Patch grid (rows, columns).
    public let grid: (rows: Int, columns: Int)
    /// `[B, 1+R+N, D]`: every token after the final LayerNorm.
    public var lastHiddenState: [Float]
    /// `[B, D]`: the final-LayerNorm'ed CLS token (HF `pooler_output`, dinov2 `x_norm_clstoken`).
    public var poolerOutput: [Float]
    /// `[B, out]` when a DINOHead was applied to the CLS embedding.
    public var headOutput: [Float]?
}

/// A float32 CPU forward pass of a DINOv2 ViT that follows the upstream code step by step:
/// patch conv (im2col + GEMM), CLS + position embedding (resampled per `PositionInterpolation`),
/// registers after CLS, then per block `x += ls1 ⊙ attn(LN1 x)`, `x += ls2 ⊙ ffn(LN2 x)`, and a
/// final LayerNorm. Every matrix product is one `cblas_sgemm`; weights are read in place.
public enum ViTForward {
    /// Runs the backbone on `pixels` `[B, 3, H, W]` (float32, already normalised). Rows and columns
    /// past the last whole patch are ignored, as a stride-p convolution does.
    public static func run(_ weights: ViTWeights, pixels: [Float], batch: Int, height: Int, width: Int,
                           interpolation: PositionInterpolation, threads: Int? = nil) throws -> EmbedOutput {
        let a = weights.architecture
        let p = a.patchSize
        guard batch > 0, pixels.count == batch * 3 * height * width else {
            throw CkptError.invalidRequest("pixel_values: \(pixels.count) values do not make [\(batch), 3, \(height), \(width)]")
        }
        guard height >= p, width >= p else {
            throw CkptError.invalidRequest("pixel_values: image \(height)×\(width) is smaller than one \(p)×\(p) patch")
        }
        Kernels.setThreads(threads)
        let names = ViTWeights.expectedShapes(a).map(\.0)
        return try WeightLender.lend(names.map { weights.entry($0) }) { lent in
            var w: [String: UnsafePointer<Float>] = [:]
            for (name, buffer) in zip(names, lent) { w[name] = buffer.baseAddress! }
            return try compute(a, w: w, pixels: pixels, batch: batch, height: height, width: width, interpolation: interpolation)
        }
    }

    // MARK: - The pass

    private static func compute(_ a: Architecture, w: [String: UnsafePointer<Float>], pixels: [Float], batch: Int,
                                height: Int, width: Int, interpolation: PositionInterpolation) throws -> EmbedOutput {
        let p = a.patchSize, d = a.width, r = a.registers
        let gh = height / p, gw = width / p, n = gh * gw
        let t = 1 + r + n, bt = batch * t
        let hd = a.headDim, ffnWidth = a.ffn == .mlp ? a.ffnHidden : 2 * a.ffnHidden
        let posPatches = PositionInterpolation.patchPositions(
            UnsafeBufferPointer(start: w["pos_embed"]!, count: (1 + a.gridSize * a.gridSize) * d),
            architecture: a, height: height, width: width, convention: interpolation)

        // The SwiGLU gate buffer only exists for SwiGLU models (67 MB at ViT-B batch 4 otherwise wasted).
        let gateCount = a.ffn == .swiglu ? bt * a.ffnHidden : 0
        let ws = Workspace([bt * d, bt * d, bt * 3 * d, bt * d, bt * d, bt * ffnWidth, gateCount, t * t, n * 3 * p * p, n * d])
        defer { ws.release() }
        let x = ws[0], h = ws[1], qkv = ws[2], ctx = ws[3], tmp = ws[4], hidden = ws[5], gate = ws[6]
        let scores = ws[7], cols = ws[8], patches = ws[9]

        // 1–4: patch embedding, CLS + positions, registers after CLS.
        let pos0 = w["pos_embed"]!, cls = w["cls_token"]!
        pixels.withUnsafeBufferPointer { px in
            for b in 0..<batch {
                im2col(px.baseAddress! + b * 3 * height * width, height: height, width: width, patch: p, rows: gh, columns: gw, into: cols)
                Kernels.linear(cols, rows: n, in: 3 * p * p, weight: w["patch_embed.proj.weight"]!, out: d,
                               bias: w["patch_embed.proj.bias"]!, into: patches)
                let xb = x + b * t * d
                for i in 0..<d { xb[i] = cls[i] + pos0[i] }
                if r > 0 { (xb + d).update(from: w["register_tokens"]!, count: r * d) }
                posPatches.withUnsafeBufferPointer { pos in
                    let dst = xb + (1 + r) * d
                    for i in 0..<(n * d) { dst[i] = patches[i] + pos[i] }
                }
            }
        }

        // 5: blocks.
        let eps = Float(a.layerNormEps), scale = 1 / Float(hd).squareRoot()
        for i in 0..<a.depth {
            let k = "blocks.\(i)."
            Kernels.layerNorm(x, rows: bt, width: d, weight: w[k + "norm1.weight"]!, bias: w[k + "norm1.bias"]!, eps: eps, into: h)
            Kernels.linear(h, rows: bt, in: d, weight: w[k + "attn.qkv.weight"]!, out: 3 * d, bias: w[k + "attn.qkv.bias"]!, into: qkv)
            for b in 0..<batch {
                let base = qkv + b * t * 3 * d
                for head in 0..<a.heads {
                    let q = base + head * hd
                    Kernels.gemm(transA: false, transB: true, m: t, n: t, k: hd, alpha: scale,
                                 a: q, lda: 3 * d, b: q + d, ldb: 3 * d, c: scores, ldc: t)
                    Kernels.softmax(scores, rows: t, width: t)
                    Kernels.gemm(transA: false, transB: false, m: t, n: hd, k: t, alpha: 1,
                                 a: scores, lda: t, b: q + 2 * d, ldb: 3 * d, c: ctx + b * t * d + head * hd, ldc: d)
                }
            }
            Kernels.linear(ctx, rows: bt, in: d, weight: w[k + "attn.proj.weight"]!, out: d, bias: w[k + "attn.proj.bias"]!, into: tmp)
            Kernels.addScaled(x, tmp, gamma: w[k + "ls1.gamma"]!, rows: bt, width: d)

            Kernels.layerNorm(x, rows: bt, width: d, weight: w[k + "norm2.weight"]!, bias: w[k + "norm2.bias"]!, eps: eps, into: h)
            switch a.ffn {
            case .mlp:
                Kernels.linear(h, rows: bt, in: d, weight: w[k + "mlp.fc1.weight"]!, out: a.ffnHidden, bias: w[k + "mlp.fc1.bias"]!, into: hidden)
                Kernels.gelu(hidden, count: bt * a.ffnHidden)
                Kernels.linear(hidden, rows: bt, in: a.ffnHidden, weight: w[k + "mlp.fc2.weight"]!, out: d, bias: w[k + "mlp.fc2.bias"]!, into: tmp)
            case .swiglu:
                Kernels.linear(h, rows: bt, in: d, weight: w[k + "mlp.w12.weight"]!, out: 2 * a.ffnHidden, bias: w[k + "mlp.w12.bias"]!, into: hidden)
                Kernels.swiGLU(hidden, rows: bt, hidden: a.ffnHidden, into: gate)
                Kernels.linear(gate, rows: bt, in: a.ffnHidden, weight: w[k + "mlp.w3.weight"]!, out: d, bias: w[k + "mlp.w3.bias"]!, into: tmp)
            }
            Kernels.addScaled(x, tmp, gamma: w[k + "ls2.gamma"]!, rows: bt, width: d)
        }

        // 6: final LayerNorm.
        Kernels.layerNorm(x, rows: bt, width: d, weight: w["norm.weight"]!, bias: w["norm.bias"]!, eps: eps, into: h)
        let last = Array(UnsafeBufferPointer(start: h, count: bt * d))
        var pooled = [Float](repeating: 0, count: batch * d)
        for b in 0..<batch { for i in 0..<d { pooled[b * d + i] = last[b * t * d + i] } }
        return EmbedOutput(batch: batch, tokens: t, width: d, grid: (gh, gw), lastHiddenState: last,
                           poolerOutput: pooled, headOutput: nil)
    }

    /// Patches of one image `[3, H, W]` as rows `[gh · gw, 3 · p · p]` in (channel, ky, kx) order,
    /// matching the conv weight `[D, 3, p, p]`.
    static func im2col(_ image: UnsafePointer<Float>, height: Int, width: Int, patch p: Int, rows gh: Int, columns gw: Int,
                       into cols: UnsafeMutablePointer<Float>) {
        let k = 3 * p * p
        for py in 0..<gh {
            for px in 0..<gw {
                var dst = cols + (py * gw + px) * k
                for c in 0..<3 {
                    for ky in 0..<p {
                        let src = image + (c * height + py * p + ky) * width + px * p
                        dst.update(from: src, count: p)
                        dst += p
                    }
                }
            }
        }
    }
}

/// Float32 scratch buffers for one run, allocated together and freed by `release()`.
final class Workspace {
    private var buffers: [UnsafeMutablePointer<Float>]

    init(_ sizes: [Int]) {
        buffers = sizes.map { size in
            let b = UnsafeMutablePointer<Float>.allocate(capacity: max(size, 1))
            b.initialize(repeating: 0, count: max(size, 1))
            return b
        }
    }

    subscript(i: Int) -> UnsafeMutablePointer<Float> { buffers[i] }

    func release() {
        for b in buffers { b.deallocate() }
        buffers = []
    }
}

/// Lends many tensors as float32 at once: in place from the mapping where possible.
enum WeightLender {
    /// Calls `body` with every tensor's values; the buffers are valid only inside `body`.
    static func lend<R>(_ entries: [TensorEntry], _ body: ([UnsafeBufferPointer<Float>]) throws -> R) throws -> R {
        var lent: [UnsafeBufferPointer<Float>] = []
        lent.reserveCapacity(entries.count)
        // One nested `withFloat32` per tensor, so each lent pointer lives until `body` returns.
        func step(_ i: Int) throws -> R {
            if i == entries.count { return try body(lent) }
            return try entries[i].withFloat32 { buffer in
                lent.append(buffer)
                defer { lent.removeLast() }
                return try step(i + 1)
            }
        }
        return try step(0)
    }
}
