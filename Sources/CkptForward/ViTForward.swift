import CkptCore
import CkptLayout
/// The result of a forward pass.
public struct EmbedOutput: Sendable {
    /// Images in the batch.
    public let batch: Int
    /// Tokens per image: CLS, registers, patches.
    public let tokens: Int
    /// Embedding width D.
    public let width: Int
    /// Patch grid (rows, columns).
    public let grid: (rows: Int, columns: Int)
    /// `[B, 1+R+N, D]`: every token after the final LayerNorm.
    public var lastHiddenState: [Float]
    /// `[B, D]`: the final-LayerNorm'ed CLS token (HF `pooler_output`, dinov2 `x_norm_clstoken`).
    public var poolerOutput: [Float]
    /// `[B, out]` when a DINOHead was applied to the CLS embedding.
    public var headOutput: [Float]?
    /// Time and work per stage of the pass.
    public var profile: ForwardProfile?
}

/// A float32 CPU forward pass of a DINOv2 ViT that follows the upstream code step by step:
/// patch conv (im2col + GEMM), CLS + position embedding (resampled per `PositionInterpolation`),
/// registers after CLS, then per block `x += ls1 ⊙ attn(LN1 x)`, `x += ls2 ⊙ ffn(LN2 x)`, and a
/// final LayerNorm. Linear layers are single-threaded `cblas_sgemm` calls on row blocks and
/// attention is the fused kernel (`Kernels.attention`) on (image, head, query block) items, all
/// spread over the cores by `Kernels.forEach`. Weights are read in place from the mapping.
public enum ViTForward {
    /// Runs the backbone on `pixels` `[B, 3, H, W]` (float32, already normalised; `B` ≥ 1). Rows and
    /// columns past the last whole patch are ignored, as a stride-p convolution does. `source` names
    /// the pixels in messages (the file they came from).
    /// - Throws: `CkptError.imageSmallerThanPatch` when `H` or `W` is below the patch size.
    public static func run(_ weights: ViTWeights, pixels: [Float], batch: Int, height: Int, width: Int,
                           interpolation: PositionInterpolation, threads: Int? = nil,
                           source: String = "pixel_values") throws -> EmbedOutput {
        let a = weights.architecture
        let p = a.patchSize
        precondition(batch > 0 && height > 0 && width > 0 && pixels.count == batch * 3 * height * width,
                     "\(pixels.count) pixel values do not make [\(batch), 3, \(height), \(width)]")
        guard height >= p, width >= p else {
            throw CkptError.imageSmallerThanPatch(source: source, height: height, width: width, patch: p)
        }
        try Kernels.useSingleThreadedBLAS()
        let workers = Kernels.workerCount(threads)
        let names = weights.names
        let linears = BlockWeights.linearNames(a)
        let output = try WeightLender.lendParts(names.map { weights.entry($0) },
                                                split: { BlockWeights.readInParts($0, linears: linears) }) { lent in
            let w = Dictionary(uniqueKeysWithValues: zip(names, lent))
            return try compute(a, w: w, pixels: pixels, batch: batch, height: height, width: width,
                               interpolation: interpolation, workers: workers, checkInputs: weights.checkSourcesIntact)
        }
        // Bytes already consumed may have been cut after their last use: the output counts only if the
        // weights are still whole when the pass ends.
        try weights.checkSourcesIntact()
        return output
    }

    /// Floating-point operations of one pass (multiply and add counted apart, as GFLOP/s figures do):
    /// patch embedding, per block qkv, QKᵀ, weights·V, projection and FFN.
    public static func flops(_ a: Architecture, batch: Int, height: Int, width: Int) -> Double {
        stageFlops(a, batch: batch, height: height, width: width).reduce(0, +)
    }

    /// What the pass runs on: worker threads, the OpenBLAS kernel, the vector-math path.
    public static func backendSummary(threads: Int?) -> String {
        let workers = Kernels.workerCount(threads)
        return "\(workers) thread\(workers == 1 ? "" : "s"), OpenBLAS \(Kernels.blasCore), expf/erff \(Kernels.vectorMathPath), "
            + "attention \(Kernels.attentionPath)"
    }

    // MARK: - The pass

    /// Most rows per work item in the row-wise stages (LayerNorm, linear layers, residuals). Items
    /// are as large as an even split over the workers allows up to this: OpenBLAS packs the whole
    /// weight once per call, so fewer, taller calls amortise it (ViT-B b1: 128-row items took
    /// 1.8 s in these stages, two 685-row items 1.4 s), while the cap bounds per-worker scratch.
    static let maxRowsPerItem = 768
    /// Query rows per attention work item: one block of the fused kernel.
    static let queryBlock = Kernels.attentionQueryBlock

    /// Row items for `rows` rows: a multiple of the worker count, each at most `maxRowsPerItem` rows.
    static func rowItemSize(rows: Int, workers: Int) -> Int {
        let items = max(1, (rows + maxRowsPerItem - 1) / maxRowsPerItem)
        let even = (items + workers - 1) / workers * workers
        return max(1, (rows + even - 1) / even)
    }

    private static func compute(_ a: Architecture, w parts: [String: [UnsafeBufferPointer<Float>]], pixels: [Float], batch: Int,
                                height: Int, width: Int, interpolation: PositionInterpolation, workers: Int,
                                checkInputs: () throws -> Void) throws -> EmbedOutput {
        let w = parts.mapValues { $0[0].baseAddress! }  // tensors other than block linears come whole
        let p = a.patchSize, d = a.width, r = a.registers, heads = a.heads, hd = a.headDim
        let gh = height / p, gw = width / p, n = gh * gw
        let t = 1 + r + n, bt = batch * t
        func embedding(_ role: TensorRole) -> UnsafePointer<Float> { w[Layouts.tensor(role, in: a).name]! }
        // DINOv2 adds a (resampled) position table; DINOv3 has none and rotates q and k instead.
        let positions = a.usesRoPE ? nil : Layouts.tensor(.positions, in: a)
        let posPatches = positions.map {
            PositionInterpolation.patchPositions(UnsafeBufferPointer(start: w[$0.name]!, count: $0.shape.reduce(1, *)),
                                                 architecture: a, height: height, width: width, convention: interpolation)
        } ?? []
        let rope = a.usesRoPE ? RoPE(a, rows: gh, columns: gw) : nil
        let blocks = (0..<a.depth).map { BlockWeights(parts, index: $0, architecture: a) }
        // Widths of the fused qkv rows and of the FFN's first layer, from the table's shapes.
        let qkvWidth = blocks.first?.qkv.outputs ?? 3 * d, ffnWidth = blocks.first?.fc1.outputs ?? 0
        let eps = Float(a.layerNormEps), scale = 1 / Float(hd).squareRoot()

        // Shared: the residual stream and q/k/v/context of every token (attention needs them all).
        // Per worker: one row item's activations and one query block's scores.
        let rows = rowItemSize(rows: bt, workers: workers), qb = min(queryBlock, t)
        let gateWidth = a.ffn == .swiglu ? (blocks.first?.fc2.inputs ?? 0) : 0
        let shared = Workspace([bt * d, bt * qkvWidth, bt * d])
        let scratch = (0..<workers).map { _ in
            Workspace([rows * d, rows * d, rows * ffnWidth, rows * gateWidth, Kernels.attentionScratchCount(headDim: hd), rows * 3 * p * p])
        }
        defer { shared.release(); scratch.forEach { $0.release() } }
        let x = shared[0], qkv = shared[1], ctx = shared[2]
        let clock = StageClock(workers: workers)
        var last = [Float](repeating: 0, count: bt * d)

        // 1–4: patch embedding (im2col + GEMM), CLS + positions, registers after CLS.
        let cls = embedding(.classToken), pos0 = positions.map { w[$0.name]! }
        for b in 0..<batch {
            let xb = x + b * t * d
            if let pos0 { for i in 0..<d { xb[i] = cls[i] + pos0[i] } } else { xb.update(from: cls, count: d) }
            if r > 0 { (xb + d).update(from: embedding(.registerTokens), count: r * d) }
        }
        let patchItems = (n + rows - 1) / rows
        pixels.withUnsafeBufferPointer { px in
            posPatches.withUnsafeBufferPointer { pos in
                Kernels.forEach(batch * patchItems, workers: workers) { worker, item in
                    let b = item / patchItems, lo = (item % patchItems) * rows, count = min(rows, n - lo)
                    let ws = scratch[worker], cols = ws[5], out = ws[0]
                    clock.time(.rest, worker: worker) {
                        im2col(px.baseAddress! + b * 3 * height * width, height: height, width: width, patch: p,
                               columns: gw, patches: lo..<(lo + count), into: cols)
                    }
                    clock.time(.patchEmbedding, worker: worker) {
                        Kernels.linear(cols, rows: count, in: 3 * p * p, weight: embedding(.patchWeight), out: d,
                                       bias: embedding(.patchBias), into: out)
                    }
                    let dst = x + (b * t + 1 + r + lo) * d
                    if positions != nil, let src = pos.baseAddress.map({ $0 + lo * d }) {
                        clock.time(.rest, worker: worker) { for i in 0..<(count * d) { dst[i] = out[i] + src[i] } }
                    } else {
                        dst.update(from: out, count: count * d)
                    }
                }
            }
        }

        // 5: blocks. Row items run `x += ls2 ⊙ ffn(LN2 x)` of one block and `qkv = LN1 x` of the
        // next in one go; attention items are (image, head, query block).
        func rowItems(_ body: (_ ws: Workspace, _ worker: Int, _ lo: Int, _ count: Int) -> Void) {
            Kernels.forEach((bt + rows - 1) / rows, workers: workers) { worker, item in
                body(scratch[worker], worker, item * rows, min(rows, bt - item * rows))
            }
        }
        func qkvStage(_ blk: BlockWeights, _ ws: Workspace, _ worker: Int, _ lo: Int, _ count: Int) {
            let h = ws[0]
            clock.time(.rest, worker: worker) {
                Kernels.layerNorm(x + lo * d, rows: count, width: d, weight: blk.norm1.weight, bias: blk.norm1.bias, eps: eps, into: h)
            }
            clock.time(.qkv, worker: worker) {
                Kernels.linear(h, rows: count, in: blk.qkv.inputs, blk.qkv.weights, out: blk.qkv.outputs, into: qkv + lo * qkvWidth)
            }
            // DINOv3: rotate the patch tokens' queries and keys before the fused attention kernel.
            if let rope {
                clock.time(.rest, worker: worker) {
                    for row in lo..<(lo + count) where row % t > r {
                        let patch = row % t - 1 - r, q = qkv + row * qkvWidth
                        for head in 0..<heads {
                            rope.apply(q + head * hd, patch: patch)
                            rope.apply(q + d + head * hd, patch: patch)
                        }
                    }
                }
            }
        }
        func residualStage(_ blk: BlockWeights, _ ws: Workspace, _ worker: Int, _ lo: Int, _ count: Int) {
            let xr = x + lo * d, h = ws[0], tmp = ws[1], hidden = ws[2], gate = ws[3]
            clock.time(.projection, worker: worker) {
                Kernels.linear(ctx + lo * d, rows: count, in: blk.proj.inputs, blk.proj.weights, out: blk.proj.outputs, into: tmp)
            }
            clock.time(.rest, worker: worker) {
                Kernels.addScaled(xr, tmp, gamma: blk.ls1, rows: count, width: d)
                Kernels.layerNorm(xr, rows: count, width: d, weight: blk.norm2.weight, bias: blk.norm2.bias, eps: eps, into: h)
            }
            clock.time(.ffn, worker: worker) {
                Kernels.linear(h, rows: count, in: blk.fc1.inputs, blk.fc1.weights, out: blk.fc1.outputs, into: hidden)
            }
            switch a.ffn {
            case .mlp:
                clock.time(.rest, worker: worker) { Kernels.gelu(hidden, count: count * ffnWidth) }
                clock.time(.ffn, worker: worker) {
                    Kernels.linear(hidden, rows: count, in: blk.fc2.inputs, blk.fc2.weights, out: blk.fc2.outputs, into: tmp)
                }
            case .swiglu:
                clock.time(.rest, worker: worker) { Kernels.swiGLU(hidden, rows: count, hidden: blk.fc2.inputs, into: gate) }
                clock.time(.ffn, worker: worker) {
                    Kernels.linear(gate, rows: count, in: blk.fc2.inputs, blk.fc2.weights, out: blk.fc2.outputs, into: tmp)
                }
            }
            clock.time(.rest, worker: worker) { Kernels.addScaled(xr, tmp, gamma: blk.ls2, rows: count, width: d) }
        }
        let queryBlocks = (t + qb - 1) / qb
        func attention() {
            Kernels.forEach(batch * heads * queryBlocks, workers: workers) { worker, item in
                let b = item / (heads * queryBlocks), head = item / queryBlocks % heads
                let q0 = item % queryBlocks * qb, m = min(qb, t - q0)
                // The fused qkv rows are [q; k; v], each D wide (the table's qkv shape is [3D, D]).
                let base = qkv + b * t * qkvWidth + head * hd, out = ctx + (b * t + q0) * d + head * hd
                clock.time(.attention, worker: worker) {
                    Kernels.attention(q: base + q0 * qkvWidth, ldq: qkvWidth, m: m, k: base + d, ldk: qkvWidth, v: base + 2 * d, ldv: qkvWidth,
                                      t: t, headDim: hd, scale: scale, out: out, ldo: d, scratch: scratch[worker][4])
                }
            }
        }

        let final = (weight: embedding(.finalNormWeight), bias: embedding(.finalNormBias))
        try last.withUnsafeMutableBufferPointer { out in
            rowItems { ws, worker, lo, count in qkvStage(blocks[0], ws, worker, lo, count) }
            for i in 0..<a.depth {
                // A weights file cut during the pass reads zeros from then on (the SIGBUS guard): stop at
                // the next block instead of finishing a pass whose result would be thrown away.
                try checkInputs()
                attention()
                rowItems { ws, worker, lo, count in
                    residualStage(blocks[i], ws, worker, lo, count)
                    if i + 1 < a.depth {
                        qkvStage(blocks[i + 1], ws, worker, lo, count)
                    } else {  // 6: final LayerNorm.
                        clock.time(.rest, worker: worker) {
                            Kernels.layerNorm(x + lo * d, rows: count, width: d, weight: final.weight, bias: final.bias,
                                              eps: eps, into: out.baseAddress! + lo * d)
                        }
                    }
                }
            }
        }
        var pooled = [Float](repeating: 0, count: batch * d)
        for b in 0..<batch { for i in 0..<d { pooled[b * d + i] = last[b * t * d + i] } }
        let profile = ForwardProfile(threadSeconds: clock.threadSeconds(),
                                     flops: stageFlops(a, batch: batch, height: height, width: width))
        return EmbedOutput(batch: batch, tokens: t, width: d, grid: (gh, gw), lastHiddenState: last,
                           poolerOutput: pooled, headOutput: nil, profile: profile)
    }

    /// Patches `patches` (row-major grid indices) of one image `[3, H, W]` as rows `[count, 3 · p · p]`
    /// in (channel, ky, kx) order, matching the conv weight `[D, 3, p, p]`.
    static func im2col(_ image: UnsafePointer<Float>, height: Int, width: Int, patch p: Int, columns gw: Int,
                       patches: Range<Int>, into cols: UnsafeMutablePointer<Float>) {
        var dst = cols
        for index in patches {
            let py = index / gw, px = index % gw
            for c in 0..<3 {
                for ky in 0..<p {
                    dst.update(from: image + (c * height + py * p + ky) * width + px * p, count: p)
                    dst += p
                }
            }
        }
    }
}

/// One block's weights, looked up once per pass by the roles `BackboneTable` gives its tensors
/// (`fc1`/`fc2` are the MLP's or, for SwiGLU, `w12`/`w3`, as the table's conditions pick), with the
/// linear layers' sizes from the table's shapes.
struct BlockWeights {
    /// A linear layer: its weights and the table's `[outputs, inputs]`.
    struct Linear {
        let weights: LinearWeights
        let inputs: Int
        let outputs: Int
    }

    let norm1, norm2: (weight: UnsafePointer<Float>, bias: UnsafePointer<Float>)
    let qkv, proj, fc1, fc2: Linear
    let ls1, ls2: UnsafePointer<Float>

    init(_ w: [String: [UnsafeBufferPointer<Float>]], index i: Int, architecture a: Architecture) {
        func one(_ role: TensorRole) -> UnsafePointer<Float> { w[Layouts.tensor(role, block: i, in: a).name]![0].baseAddress! }
        func linear(_ weight: TensorRole, _ bias: TensorRole, parts: Int = 1) -> Linear {
            let (name, shape) = Layouts.tensor(weight, block: i, in: a)
            // The DINOv3 7B's qkv has no bias.
            let b = Layouts.hasTensor(bias, in: a) ? w[Layouts.tensor(bias, block: i, in: a).name]! : nil
            return Linear(weights: LinearWeights(weight: Self.split(w[name]!, parts: parts, inputs: shape[1]), bias: b),
                          inputs: shape[1], outputs: shape[0])
        }
        norm1 = (one(.norm1Weight), one(.norm1Bias)); norm2 = (one(.norm2Weight), one(.norm2Bias))
        qkv = linear(.qkvWeight, .qkvBias, parts: 3); proj = linear(.projectionWeight, .projectionBias)
        fc1 = linear(.ffnInWeight, .ffnInBias, parts: a.ffn == .swiglu ? 2 : 1); fc2 = linear(.ffnOutWeight, .ffnOutBias)
        ls1 = one(.scale1); ls2 = one(.scale2)
    }

    /// A fused weight (qkv's [q; k; v], SwiGLU's [gate; up]) as its `parts` equal row blocks, whichever way the
    /// file stored it: one GEMM per part, so a layout that stores the parts apart (transformers' q/k/v) runs
    /// the very same products, and gives the same bits, as one that fuses them.
    static func split(_ blocks: [UnsafeBufferPointer<Float>], parts: Int, inputs: Int) -> [UnsafeBufferPointer<Float>] {
        let rows = blocks.reduce(0) { $0 + $1.count } / max(inputs, 1)
        guard parts > 1, blocks.count != parts, rows % parts == 0 else { return blocks }
        let partCount = rows / parts * inputs
        var out: [UnsafeBufferPointer<Float>] = []
        for block in blocks {
            // Each stored block is whole parts here (a fused tensor, or a triple's members).
            guard block.count % partCount == 0 else { return blocks }
            for start in stride(from: 0, to: block.count, by: partCount) {
                out.append(UnsafeBufferPointer(rebasing: block[start..<(start + partCount)]))
            }
        }
        return out
    }

    /// The names of every block's linear-layer tensors in a model of `a`, from the table.
    static func linearNames(_ a: Architecture) -> Set<String> {
        let roles: [TensorRole] = [.qkvWeight, .qkvBias, .projectionWeight, .projectionBias, .ffnInWeight, .ffnInBias, .ffnOutWeight, .ffnOutBias]
        return Set((0..<a.depth).flatMap { i in roles.filter { Layouts.hasTensor($0, in: a) }.map { Layouts.tensor($0, block: i, in: a).name } })
    }

    /// Whether the forward pass takes `entry` in its stored ranges: a block linear's weight whose
    /// ranges are whole rows (an HF q/k/v triple), or its bias. Saves copying the fused qkv.
    static func readInParts(_ entry: TensorEntry, linears: Set<String>) -> Bool {
        guard linears.contains(entry.name) else { return false }
        guard entry.shape.count == 2 else { return entry.shape.count == 1 }
        let rowBytes = 4 * entry.shape[1]
        return rowBytes > 0 && entry.segments.allSatisfy { $0.count % rowBytes == 0 }
    }
}

/// Float32 scratch buffers for one run, allocated together and freed by `release()`.
final class Workspace {
    private var buffers: [UnsafeMutablePointer<Float>]

    init(_ sizes: [Int]) {
        // Not zero-filled: every buffer is written before it is read, and zeroing would touch
        // (fault in) every page up front.
        buffers = sizes.map { UnsafeMutablePointer<Float>.allocate(capacity: max($0, 1)) }
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
        try lendParts(entries, split: { _ in false }) { lent in try body(lent.map { $0[0] }) }
    }

    /// Like `lend`, but a tensor for which `split` is true comes as its in-place ranges
    /// (`TensorEntry.withFloat32Parts`) instead of one buffer assembled from them.
    static func lendParts<R>(_ entries: [TensorEntry], split: (TensorEntry) -> Bool,
                             _ body: ([[UnsafeBufferPointer<Float>]]) throws -> R) throws -> R {
        var lent: [[UnsafeBufferPointer<Float>]] = []
        lent.reserveCapacity(entries.count)
        // One nested lending call per tensor, so each lent pointer lives until `body` returns.
        func step(_ i: Int) throws -> R {
            if i == entries.count { return try body(lent) }
            func keep(_ parts: [UnsafeBufferPointer<Float>]) throws -> R {
                lent.append(parts)
                defer { lent.removeLast() }
                return try step(i + 1)
            }
            return split(entries[i]) ? try entries[i].withFloat32Parts(keep) : try entries[i].withFloat32 { try keep([$0]) }
        }
        return try step(0)
    }
}
