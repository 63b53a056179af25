import CkptCheckpoint
import CkptCore
import CkptForward
import CkptLayout

/// The comparison of one forward pass with a golden case.
public struct GoldenReport: Sendable {
    /// How one output tensor compares with its expected values.
    public struct OutputResult: Sendable {
        /// The expected tensor (`pooler_output`, `last_hidden_state`, …).
        public let name: String
        /// Its shape.
        public let shape: [Int]
        /// Largest |actual − expected| and where (index into `shape`).
        public let maxAbs: Double
        /// Where `maxAbs` is, as an index into `shape`.
        public let worstIndex: [Int]
        /// Our value at `worstIndex`.
        public let worstActual: Float
        /// The reference value at `worstIndex`.
        public let worstExpected: Float
        /// Largest |actual − expected| / |expected| over elements with |expected| ≥ 1e-2.
        public let maxRel: Double
        /// Smallest cosine similarity of a last-dimension row, and which row.
        public let minCosine: Double
        /// The row of `minCosine` (`shape` without its last dimension).
        public let worstCosineRow: [Int]
        /// Elements outside `atol + rtol·|expected|` (NaN counts as outside).
        public let failures: Int
        /// Elements where either side is NaN.
        public let nanCount: Int
        /// This output is within tolerance everywhere (no NaN) and every row cosine is ≥ the minimum.
        public let passed: Bool
    }

    /// The case name from `golden.json` (its folder name when absent).
    public let caseName: String
    /// Every output passed.
    public let passed: Bool
    /// The absolute tolerance used.
    public let atol: Double
    /// The relative tolerance used.
    public let rtol: Double
    /// The smallest row cosine that passes.
    public let minCosine: Double
    /// One result per expected tensor, in the expected file's order.
    public let outputs: [OutputResult]
    /// Human-readable report.
    public let text: String
    /// Machine-readable report (schema `ckpt.golden/1`).
    public let json: JSONValue
}

/// Runs the forward pass on a golden case's pixels and compares the outputs with the upstream
/// reference.
///
/// An element passes when `|a − b| ≤ atol + rtol·|b|`; each last-dimension row must also have cosine
/// similarity ≥ `minCosine`. NaN never compares equal, so a NaN anywhere fails. The default
/// tolerances are the case's own (`golden.json` `tolerance`: 10× the measured float32-vs-float64
/// deviation of the upstream model).
public enum GoldenVerifier {
    /// Verifies `weights` (either layout of the case's model) against the case folder `goldenDir`.
    /// - Parameters:
    ///   - head: DINOHead weights for cases with `head_output`; by default the file `golden.json` names,
    ///     relative to the golden root (the folder above `forward/`).
    ///   - heads: attention heads, when neither the weights nor `golden.json` say.
    ///   - interpolation: overrides the case's convention (tests use it to show a wrong one fails).
    ///   - pixels: the input to run instead of the case's `pixels.safetensors` (an image case's pixels as
    ///     ckpt preprocessed them from the image files).
    public static func verify(weights: Checkpoint, goldenDir: String, atol: Double? = nil, rtol: Double? = nil,
                              minCosine: Double? = nil, threads: Int? = nil, head: Checkpoint? = nil,
                              heads: Int? = nil, interpolation: PositionInterpolation? = nil,
                              pixels: EmbedIO.Pixels? = nil) throws -> GoldenReport {
        try verify(analysis: Layouts.analyze(weights), case: GoldenCase(directory: goldenDir), atol: atol, rtol: rtol,
                   minCosine: minCosine, threads: threads, head: head.map(DINOHead.init(checkpoint:)), heads: heads, interpolation: interpolation,
                   pixels: pixels)
    }

    /// `verify(weights:…)` for weights already analysed and a case already read (`ckpt verify --golden` has
    /// both: neither the checkpoint's layout nor `golden.json` is read twice).
    package static func verify(analysis: Layouts.Analysis, case spec: GoldenCase, atol: Double? = nil,
                               rtol: Double? = nil, minCosine: Double? = nil, threads: Int? = nil,
                               head: DINOHead? = nil, heads: Int? = nil, interpolation: PositionInterpolation? = nil,
                               pixels: EmbedIO.Pixels? = nil) throws -> GoldenReport {
        let model = try ViTWeights(analysis: analysis, heads: heads ?? spec.heads)
        return try verify(model: model, spec: spec, atol: atol, rtol: rtol, minCosine: minCosine, threads: threads,
                          head: head, interpolation: interpolation, pixels: pixels)
    }

    /// Verifies already loaded backbone weights (tests plant defects in these).
    package static func verify(model: ViTWeights, goldenDir: String, atol: Double? = nil, rtol: Double? = nil,
                              minCosine: Double? = nil, threads: Int? = nil, head: Checkpoint? = nil,
                              interpolation: PositionInterpolation? = nil) throws -> GoldenReport {
        try verify(model: model, spec: GoldenCase(directory: goldenDir), atol: atol, rtol: rtol, minCosine: minCosine,
                   threads: threads, head: head.map(DINOHead.init(checkpoint:)), interpolation: interpolation, pixels: nil)
    }

    static func verify(model: ViTWeights, spec: GoldenCase, atol: Double?, rtol: Double?, minCosine: Double?,
                       threads: Int?, head: DINOHead?, interpolation: PositionInterpolation?,
                       pixels given: EmbedIO.Pixels?) throws -> GoldenReport {
        func tolerance(_ given: Double?, _ recorded: Double?, _ field: String) throws -> Double {
            guard let value = given ?? recorded else {
                throw GoldenCaseError(path: spec.jsonPath, problem: .field(
                    name: "tolerance.\(field)", found: nil, expected: "a number; --atol and --rtol override the recorded ones"))
            }
            return value
        }
        let atol = try tolerance(atol, spec.atol, "atol"), rtol = try tolerance(rtol, spec.rtol, "rtol")
        let minCos = try tolerance(minCosine, spec.minCosine, "min_cosine")
        let pixels = try given ?? EmbedIO.loadPixels(spec.pixelsPath)
        let convention = interpolation ?? spec.convention ?? .hf
        var out = try ViTForward.run(model, pixels: pixels.values, batch: pixels.batch, height: pixels.height,
                                     width: pixels.width, interpolation: convention, threads: threads,
                                     source: given == nil ? spec.pixelsPath : "pixel_values of \(spec.directory)")
        let expected = try Checkpoint.open(spec.expectedPath)
        if expected[EmbedIO.Name.head] != nil {
            let headModel = try head ?? spec.headPath.map { try DINOHead(checkpoint: Checkpoint.open($0)) }
            guard let headModel else { throw GoldenCaseError(path: spec.jsonPath, problem: .noHeadWeights) }
            out.headOutput = try headModel.apply(out.poolerOutput, rows: out.batch)
        }
        var results: [GoldenReport.OutputResult] = []
        for ref in expected.tensors {
            let (actual, shape) = try select(ref, from: out, source: spec.expectedPath)
            results.append(compare(ref.name, actual: actual, expected: try ref.floatValues(), shape: shape,
                                   atol: atol, rtol: rtol, minCosine: minCos))
        }
        return report(spec: spec, model: model, convention: convention, pixels: pixels, results: results,
                      atol: atol, rtol: rtol, minCosine: minCos)
    }

    /// Our values for an expected tensor, including the token subsets large cases store.
    static func select(_ ref: TensorEntry, from out: EmbedOutput, source: String) throws -> ([Float], [Int]) {
        let d = out.width
        func tokens(_ range: Range<Int>) -> [Float] {
            var v: [Float] = []
            for b in 0..<out.batch { v += out.lastHiddenState[(b * out.tokens + range.lowerBound) * d..<(b * out.tokens + range.upperBound) * d] }
            return v
        }
        let actual: [Float]
        switch ref.name {
        case EmbedIO.Name.pooler: actual = out.poolerOutput
        case EmbedIO.Name.lastHiddenState: actual = out.lastHiddenState
        case EmbedIO.Name.head: actual = out.headOutput ?? []
        case "last_hidden_state_head", "last_hidden_state_tail":
            guard ref.shape.count == 3, ref.shape[1] <= out.tokens else { actual = []; break }
            let k = ref.shape[1]
            actual = tokens(ref.name.hasSuffix("head") ? 0..<k : (out.tokens - k)..<out.tokens)
        default:
            throw GoldenCaseError(path: source, problem: .unknownExpectedTensor(name: ref.name))
        }
        guard actual.count == ref.elementCount else {
            throw GoldenCaseError(path: source, problem: .outputMismatch(
                tensor: ref.name, shape: ref.shape, produced: actual.count, batch: out.batch, tokens: out.tokens, width: d))
        }
        return (actual, ref.shape)
    }

    /// Element-wise and row-cosine comparison; NaN in either side is a failure.
    package static func compare(_ name: String, actual: [Float], expected: [Float], shape: [Int], atol: Double, rtol: Double,
                        minCosine: Double) -> GoldenReport.OutputResult {
        var maxAbs = 0.0, maxRel = 0.0, worst = 0, failures = 0, nans = 0
        for i in 0..<expected.count {
            let a = Double(actual[i]), b = Double(expected[i])
            if a.isNaN || b.isNaN { nans += 1; failures += 1; if maxAbs.isFinite { maxAbs = .nan; worst = i }; continue }
            let diff = abs(a - b)
            if !(diff <= atol + rtol * abs(b)) { failures += 1 }
            if maxAbs.isFinite, diff > maxAbs || (diff.isNaN) { maxAbs = diff; worst = i }
            if abs(b) >= 1e-2 { maxRel = max(maxRel, diff / abs(b)) }
        }
        let width = shape.last ?? 1
        var minCos = 1.0, worstRow = 0
        for r in 0..<(expected.count / max(width, 1)) {
            var dot = 0.0, na = 0.0, nb = 0.0
            for i in r * width..<(r + 1) * width {
                let a = Double(actual[i]), b = Double(expected[i])
                dot += a * b; na += a * a; nb += b * b
            }
            var cos = dot / (na.squareRoot() * nb.squareRoot())
            if na == 0 && nb == 0 { cos = 1 }
            if cos.isNaN { minCos = .nan; worstRow = r; break }  // NaN, or one row all zeros: never passes
            if cos < minCos { minCos = cos; worstRow = r }
        }
        let passed = failures == 0 && !minCos.isNaN && minCos >= minCosine
        return .init(name: name, shape: shape, maxAbs: maxAbs, worstIndex: TensorEntry.unravel(worst, in: shape),
                     worstActual: actual.isEmpty ? .nan : actual[worst], worstExpected: expected.isEmpty ? .nan : expected[worst],
                     maxRel: maxRel, minCosine: minCos, worstCosineRow: Array(TensorEntry.unravel(worstRow * width, in: shape).dropLast()),
                     failures: failures, nanCount: nans, passed: passed)
    }

    static func report(spec: GoldenCase, model: ViTWeights, convention: PositionInterpolation, pixels: EmbedIO.Pixels,
                       results: [GoldenReport.OutputResult], atol: Double, rtol: Double, minCosine: Double) -> GoldenReport {
        let passed = !results.isEmpty && results.allSatisfy(\.passed)
        func num(_ x: Double) -> String { x.isNaN ? "NaN" : cFormat("%.3g", x) }
        var lines = ["golden \(spec.name): \(model.architecture.name), \(pixels.batch)×3×\(pixels.height)×\(pixels.width), interpolation \(spec.conventionName == "none" ? "none (native grid)" : convention.rawValue)"]
        if let rule = model.headsRule { lines.append("heads: " + Architecture.assumedHeadsText(model.architecture.heads, rule: rule)) }
        for r in results {
            let status = r.passed ? "ok" : "FAIL (\(r.failures) element\(r.failures == 1 ? "" : "s") out of tolerance\(r.nanCount > 0 ? ", \(r.nanCount) NaN" : "")\(r.minCosine < minCosine ? ", cosine below \(minCosine)" : ""))"
            lines.append("  \(r.name) \(r.shape): max abs \(num(r.maxAbs)) at \(r.worstIndex) (\(r.worstActual) vs \(r.worstExpected)), max rel \(num(r.maxRel)), min cosine \(cFormat("%.12f", r.minCosine)) at row \(r.worstCosineRow): \(status)")
        }
        lines.append("tolerance: |a − b| ≤ \(atol) + \(rtol)·|b|, row cosine ≥ \(minCosine)")
        lines.append(passed ? "PASS" : "FAIL")
        let json: JSONValue = .object([
            ("schema", .string("ckpt.golden/1")),
            ("case", .string(spec.name)),
            ("passed", .bool(passed)),
            ("architecture", .string(model.architecture.summary)),
            ("interpolation", .string(spec.conventionName == "none" ? "none" : convention.rawValue)),
            ("tolerance", .object([("atol", .double(atol)), ("rtol", .double(rtol)), ("min_cosine", .double(minCosine))])),
            ("outputs", .array(results.map { r in
                .object([
                    ("name", .string(r.name)), ("shape", .array(r.shape.map { .int($0) })), ("passed", .bool(r.passed)),
                    ("max_abs", r.maxAbs.isNaN ? .string("NaN") : .double(r.maxAbs)),
                    ("worst_index", .array(r.worstIndex.map { .int($0) })),
                    ("max_rel", .double(r.maxRel)), ("min_cosine", r.minCosine.isNaN ? .string("NaN") : .double(r.minCosine)),
                    ("worst_cosine_row", .array(r.worstCosineRow.map { .int($0) })),
                    ("failures", .int(r.failures)), ("nan", .int(r.nanCount)),
                ])
            })),
        ])
        return GoldenReport(caseName: spec.name, passed: passed, atol: atol, rtol: rtol, minCosine: minCosine,
                            outputs: results, text: lines.joined(separator: "\n"), json: json)
    }
}
