import CkptCore
import CkptLayout
import Dispatch

/// Where a forward pass spent its time, stage by stage: the thread-seconds its work items took
/// (summed over the workers) and the floating-point operations of its matrix products, so the
/// per-thread GFLOP/s of each stage can be set against the sgemm peak of one core.
public struct ForwardProfile: Sendable {
    /// The stages of a pass. Matrix products are their own stages; `rest` is everything
    /// element-wise (LayerNorms, GELU or SiLU gate, residual and layer scale, position embedding, im2col).
    public enum Stage: Int, CaseIterable, Sendable {
        /// In the order a block runs them; `rest` last.
        case patchEmbedding, qkv, attention, projection, ffn, rest

        /// The stage as the report names it.
        public var name: String {
            switch self {
            case .patchEmbedding: return "patch embedding"
            case .qkv: return "qkv"
            case .attention: return "attention"
            case .projection: return "projection"
            case .ffn: return "FFN"
            case .rest: return "the rest"
            }
        }
    }

    /// Thread-seconds per stage, indexed by `Stage.rawValue`.
    public var threadSeconds: [Double]
    /// Floating-point operations per stage (multiply and add counted apart); 0 for `rest`.
    public var flops: [Double]

    /// GFLOP/s per thread of `stage`, or nil when it did no matrix products or took no time.
    public func gflopsPerThread(_ stage: Stage) -> Double? {
        let s = threadSeconds[stage.rawValue], f = flops[stage.rawValue]
        return f > 0 && s > 0 ? f / s / 1e9 : nil
    }

    /// This profile and `other` together: thread-seconds and operations added stage by stage (the
    /// batches of one run).
    public func adding(_ other: ForwardProfile) -> ForwardProfile {
        var sum = self
        for i in sum.threadSeconds.indices {
            sum.threadSeconds[i] += other.threadSeconds[i]
            sum.flops[i] += other.flops[i]
        }
        return sum
    }

    /// One line per stage: GFLOP, thread-seconds, GFLOP/s per thread and the share of all thread time.
    public var lines: [String] {
        let total = max(threadSeconds.reduce(0, +), 1e-12)
        return Stage.allCases.map { stage in
            let s = threadSeconds[stage.rawValue]
            let rate = gflopsPerThread(stage).map { cFormat("%6.1f GFLOP/s per thread", $0) } ?? "  (element-wise)            "
            let name = String(stage.name.prefix(15)) + String(repeating: " ", count: max(0, 15 - stage.name.count))
            return "  " + name + cFormat(" %7.2f GFLOP %8.3f thread-s ", flops[stage.rawValue] / 1e9, s)
                + rate + cFormat(" %5.1f %% of thread time", 100 * s / total)
        }
    }
}

/// Per-worker stage clocks of one pass. Each worker adds only to its own row of counters (padded
/// to a cache line), so timing needs no lock.
final class StageClock: @unchecked Sendable {  // workers write disjoint slots; read after they finish
    private static let stride = 8
    private let slots: UnsafeMutablePointer<UInt64>
    private let workers: Int

    init(workers: Int) {
        self.workers = workers
        slots = .allocate(capacity: workers * Self.stride)
        slots.initialize(repeating: 0, count: workers * Self.stride)
    }

    deinit { slots.deallocate() }

    /// Runs `body`, adding its duration to `stage` of `worker`.
    @inline(__always)
    func time<R>(_ stage: ForwardProfile.Stage, worker: Int, _ body: () throws -> R) rethrows -> R {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { slots[worker * Self.stride + stage.rawValue] &+= DispatchTime.now().uptimeNanoseconds &- start }
        return try body()
    }

    /// Thread-seconds per stage, summed over workers.
    func threadSeconds() -> [Double] {
        ForwardProfile.Stage.allCases.map { stage in
            (0..<workers).reduce(0.0) { $0 + Double(slots[$1 * Self.stride + stage.rawValue]) * 1e-9 }
        }
    }
}

extension ViTForward {
    /// Floating-point operations of one pass per `ForwardProfile.Stage` (multiply and add counted
    /// apart): the patch convolution, and per block the qkv product, QKᵀ and weights·V, the output
    /// projection and the two FFN products. Element-wise work (`rest`) is not counted.
    static func stageFlops(_ a: Architecture, batch: Int, height: Int, width: Int) -> [Double] {
        let p = a.patchSize, d = Double(a.width), b = Double(batch), depth = Double(a.depth)
        let n = Double((height / p) * (width / p)), t = n + Double(1 + a.registers)
        // The FFN's sizes from the table: its first layer's rows (4D, or 2H for SwiGLU) and its last
        // layer's inputs.
        let ffnIn = Double(Layouts.tensor(.ffnInWeight, block: 0, in: a).shape[0])
        let ffnOut = Double(Layouts.tensor(.ffnOutWeight, block: 0, in: a).shape[1])
        var out = [Double](repeating: 0, count: ForwardProfile.Stage.allCases.count)
        out[ForwardProfile.Stage.patchEmbedding.rawValue] = b * 2 * n * Double(3 * p * p) * d
        out[ForwardProfile.Stage.qkv.rawValue] = b * depth * 2 * t * d * 3 * d
        out[ForwardProfile.Stage.attention.rawValue] = b * depth * 4 * t * t * d
        out[ForwardProfile.Stage.projection.rawValue] = b * depth * 2 * t * d * d
        out[ForwardProfile.Stage.ffn.rawValue] = b * depth * (2 * t * d * ffnIn + 2 * t * ffnOut * d)
        return out
    }
}
