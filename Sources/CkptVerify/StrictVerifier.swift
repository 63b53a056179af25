import CkptCheckpoint
import CkptGolden
import CkptCore
import CkptForward
import CkptLayout
/// `ckpt verify`: checks a checkpoint against an expectation and reports every problem at once.
public enum StrictVerifier {
    /// Where the expectation comes from.
    public enum Expect {
        /// A named spec (`raddino`, `dinov2-vitl14-reg4`, …).
        case spec(ExpectationSpec)
        /// Another checkpoint, mapped into the checked file's layout when the layouts differ.
        case like(Checkpoint)
        /// The architecture detected in the file itself.
        case detected
    }

    /// What to check against and how strictly.
    public struct Options {
        /// The expectation (a spec, another checkpoint, or detection).
        public var expect: Expect
        /// Pin the backbone layout the file must be in; nil accepts any (`LayoutKind.backbones`).
        public var layout: LayoutKind?
        /// Unexpected keys and dtype mismatches are errors (else warnings).
        public var strict: Bool
        /// The one dtype of the release; nil takes the dtype most tensors have (or, with `like`, each
        /// tensor's dtype in the other checkpoint).
        public var dtype: DType?
        /// A signed-off manifest and its path (for messages).
        public var manifest: (Manifest, path: String)?
        /// A golden forward case to run the weights through (`golden/forward/<case>`).
        public var golden: Golden?
        /// Hashing workers for the manifest check.
        public var threads: Int
        /// Counts the bytes read, for a progress display.
        public var progress: ProgressCounter?

        /// Options; the defaults check against detection, strictly, with one hashing worker.
        public init(expect: Expect = .detected, layout: LayoutKind? = nil, strict: Bool = true, dtype: DType? = nil,
                    manifest: (Manifest, path: String)? = nil, golden: Golden? = nil, threads: Int = 1,
                    progress: ProgressCounter? = nil) {
            self.golden = golden
            self.expect = expect
            self.layout = layout
            self.strict = strict
            self.dtype = dtype
            self.manifest = manifest
            self.threads = threads
            self.progress = progress
        }
    }

    /// A golden forward check: the case folder and optional tolerance overrides (nil: the case's own).
    public struct Golden {
        /// The case folder (`golden/forward/<case>`).
        public var directory: String
        /// Absolute tolerance override.
        public var atol: Double?
        /// Relative tolerance override.
        public var rtol: Double?
        /// The DINOHead for a case with `head_output` (nil: the file the case names); a release bundle's own.
        public var head: DINOHead?

        /// A golden check of `directory`, with optional tolerance overrides.
        public init(directory: String, atol: Double? = nil, rtol: Double? = nil, head: DINOHead? = nil) {
            self.directory = directory
            self.atol = atol
            self.rtol = rtol
            self.head = head
        }
    }

    /// One expected tensor.
    struct Expected {
        var name: String
        var shape: [Int]
        /// Per-tensor dtype (from `--like`); nil means the release dtype.
        var dtype: DType?
    }

    /// Bytes `verify` reads: one scan of every tensor, plus the manifest hashing when asked.
    package static func workBytes(_ checkpoint: Checkpoint, manifest: Bool) -> Int {
        checkpoint.byteCount + (manifest ? Manifest.workBytes(checkpoint) : 0)
    }

    /// Checks `checkpoint`. Problems in the tensors are in the report; only unreadable input throws.
    public static func verify(_ checkpoint: Checkpoint, options: Options) throws -> StrictReport {
        try verify(checkpoint, analysis: Result { try Layouts.analyze(checkpoint) }, options: options)
    }

    /// Checks `checkpoint` with its layout analysis already made (a release bundle analyses each file once
    /// for all its checks): the analysis, or the layout error that stood in its way.
    package static func verify(_ checkpoint: Checkpoint, analysis result: Result<Layouts.Analysis, any Error>,
                               options: Options) throws -> StrictReport {
        var problems: [VerifyProblem] = []
        // The one analysis of the checkpoint: detection here, the golden forward pass below.
        var analysis: Layouts.Analysis? = nil
        var detectionError = ""
        switch result {
        case let .success(a): analysis = a
        case let .failure(error as LayoutError): detectionError = "\(error.problem)"
        case let .failure(error): throw error
        }
        let detected = analysis?.detected
        let (expected, expectation, layout) = try expectation(for: checkpoint, options: options, detected: detected,
                                                              detectionError: detectionError, problems: &problems)
        let diagnosis = checkKeys(checkpoint, expected: expected, layout: layout, strict: options.strict,
                                  problems: &problems)
        checkDTypes(checkpoint, expected: expected, options: options, problems: &problems)
        // With a manifest, the bytes are hashed and the values scanned in one read (compared below).
        var signedOff: (Manifest, [TensorScan.Result])? = nil
        if options.manifest != nil {
            signedOff = try Manifest.buildScanning(checkpoint, layout: detected?.json ?? .null,
                                                   architecture: detected?.architecture?.summary,
                                                   threads: options.threads, progress: options.progress)
        }
        try checkValues(checkpoint, scans: signedOff?.1, progress: options.progress, problems: &problems)
        // Manifest: every byte as signed off.
        if let (manifest, _) = options.manifest, let (actual, _) = signedOff {
            problems += manifest.differences(to: actual)
        }
        let golden = try checkGolden(checkpoint, analysis: analysis, options: options, problems: &problems)

        var report = StrictReport(path: checkpoint.path, expectation: expectation, strict: options.strict,
                                  manifestPath: options.manifest?.path, tensorCount: checkpoint.tensors.count,
                                  parameters: checkpoint.parameterCount, bytes: checkpoint.byteCount,
                                  problems: problems, diagnoses: diagnosis.diagnoses)
        report.golden = golden.map { golden, pixels, versions in
            var part = (text: golden.text, json: golden.json)
            if let pixels, case .object(var members) = golden.json {
                members.append(("pixels", pixels.json))
                part = (text: pixels.text + "\n" + golden.text, json: .object(members))
            }
            return versions?.annotate(part) ?? part
        }
        return report
    }

    /// Missing, unexpected and misshapen keys against `expected` (nil: no expectation), with the hints
    /// `KeyDiagnosis` finds for them.
    static func checkKeys(_ checkpoint: Checkpoint, expected: [Expected]?, layout: LayoutKind?, strict: Bool,
                          problems: inout [VerifyProblem]) -> KeyDiagnosis.Result {
        let actualNames = Set(checkpoint.names)
        var missing: [String] = []
        var unexpected: [String] = []
        if let expected {
            let expectedByName = Dictionary(expected.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            for e in expected where !actualNames.contains(e.name) { missing.append(e.name) }
            for t in checkpoint.tensors {
                guard let e = expectedByName[t.name] else { unexpected.append(t.name); continue }
                if e.shape != t.shape {
                    problems.append(VerifyProblem(key: t.name, kind: .shape, expected: Shapes.json(e.shape), actual: Shapes.json(t.shape),
                                                  detail: "expected \(Shapes.text(e.shape)), found \(Shapes.text(t.shape))"))
                }
            }
        }
        let diagnosis = KeyDiagnosis.diagnose(missing: missing, unexpected: unexpected, expectedLayout: layout)
        let expectedByName = Dictionary((expected ?? []).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for m in missing {
            let e = expectedByName[m]!
            problems.append(VerifyProblem(key: m, kind: .missing, expected: Shapes.json(e.shape), actual: .null,
                                          detail: "expected \(Shapes.text(e.shape))", hint: diagnosis.hints[m]))
        }
        for u in unexpected {
            let t = checkpoint[u]!
            problems.append(VerifyProblem(key: u, kind: .unexpected, expected: .null, actual: Shapes.json(t.shape),
                                          detail: "\(t.dtype.rawValue) \(Shapes.text(t.shape))", hint: diagnosis.hints[u],
                                          warning: !strict))
        }
        return diagnosis
    }

    /// Dtypes: per tensor from `--like`, else one release dtype (`--dtype`, or the majority's).
    static func checkDTypes(_ checkpoint: Checkpoint, expected: [Expected]?, options: Options,
                            problems: inout [VerifyProblem]) {
        let expectedByName = Dictionary((expected ?? []).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let release = options.dtype ?? majorityDType(checkpoint)
        for t in checkpoint.tensors {
            guard let want = expectedByName[t.name]?.dtype ?? release, t.dtype != want else { continue }
            let why = expectedByName[t.name]?.dtype != nil ? "" : (options.dtype != nil ? " (--dtype)" : " (the release's dtype)")
            problems.append(VerifyProblem(key: t.name, kind: .dtype, expected: .string(want.rawValue), actual: .string(t.dtype.rawValue),
                                          detail: "expected \(want.rawValue)\(why), found \(t.dtype.rawValue)", warning: !options.strict))
        }
    }

    /// Values: non-finite (error), all zeros (warning), duplicates (warning). `scans` are the manifest's
    /// one-read results when there are any; otherwise each tensor is scanned here.
    static func checkValues(_ checkpoint: Checkpoint, scans: [TensorScan.Result]?, progress: ProgressCounter?,
                            problems: inout [VerifyProblem]) throws {
        var zeros = Set<String>()
        for (i, t) in checkpoint.tensors.enumerated() {
            let scan: TensorScan.Result
            if let scans {
                scan = scans[i]
            } else {
                scan = try TensorScan.scan(t)
                progress?.add(t.byteCount)
            }
            if let n = scan.nonFinite {
                let at = TensorEntry.unravel(n.firstIndex, in: t.shape)
                var counts: [String] = []
                if n.nan > 0 { counts.append("\(n.nan) NaN") }
                if n.positiveInfinity > 0 { counts.append("\(n.positiveInfinity) +Inf") }
                if n.negativeInfinity > 0 { counts.append("\(n.negativeInfinity) -Inf") }
                problems.append(VerifyProblem(
                    key: t.name, kind: .nonFinite, expected: .int(0),
                    actual: .object([("count", .int(n.count)), ("nan", .int(n.nan)), ("pos_inf", .int(n.positiveInfinity)),
                                     ("neg_inf", .int(n.negativeInfinity)), ("first_index", Shapes.json(at)),
                                     ("first_flat_index", .int(n.firstIndex))]),
                    detail: "\(counts.joined(separator: ", ")) of \(t.elementCount) values; first at \(Shapes.text(at))"))
            }
            if scan.allZeros {
                zeros.insert(t.name)
                if !isMaskToken(t.name) {
                    problems.append(VerifyProblem(key: t.name, kind: .allZeros, expected: .null, actual: .null,
                                                  detail: "all \(t.elementCount) values are zero (\(t.dtype.rawValue) \(Shapes.text(t.shape)))"))
                }
            }
        }
        for group in try TensorScan.duplicateGroups(checkpoint.tensors, skip: zeros) {
            for copy in group.dropFirst() {
                problems.append(VerifyProblem(key: copy, kind: .duplicate, expected: .null, actual: .string(group[0]),
                                              detail: "holds exactly the bytes of \(group[0])"))
            }
        }
    }

    /// Golden: the weights must still give upstream's outputs (and an image case's images its pixels). Only
    /// meaningful on weights that passed the structural checks, so it is skipped (and said so) when keys or
    /// values are wrong.
    static func checkGolden(_ checkpoint: Checkpoint, analysis: Layouts.Analysis?, options: Options,
                            problems: inout [VerifyProblem])
        throws -> (GoldenReport, GoldenImageCheck.Result?, GoldenVersions?)?
    {
        guard let g = options.golden else { return nil }
        guard !problems.contains(where: { !$0.isWarning }) else {
            problems.append(VerifyProblem(key: FileSystem.baseName(g.directory), kind: .golden,
                                          detail: "not run: fix the problems above first", warning: true))
            return nil
        }
        // An image case: our own preprocessing of its image files must give its pixels bit for bit,
        // and the forward check runs on our pixels.
        let spec = try GoldenCase(directory: g.directory)
        let images = try GoldenImageCheck.run(spec)
        if let images, !images.identical {
            problems.append(VerifyProblem(
                key: "pixel_values", kind: .golden, expected: .string("bit-identical to the case's pixel_values"),
                actual: images.json, detail: images.text))
        }
        let report = try GoldenVerifier.verify(analysis: analysis ?? Layouts.analyze(checkpoint), case: spec,
                                               atol: g.atol, rtol: g.rtol, threads: options.threads,
                                               head: g.head, pixels: images?.pixels)
        let versions = GoldenVersions(case: spec)
        problems += versions?.warnings ?? []
        for o in report.outputs where !o.passed {
            problems.append(VerifyProblem(
                key: o.name, kind: .golden,
                expected: .object([("atol", .double(report.atol)), ("rtol", .double(report.rtol)),
                                   ("min_cosine", .double(report.minCosine))]),
                actual: .object([("max_abs", o.maxAbs.isNaN ? .null : .double(o.maxAbs)),
                                 ("min_cosine", o.minCosine.isNaN ? .null : .double(o.minCosine)),
                                 ("failures", .int(o.failures)), ("nan", .int(o.nanCount))]),
                detail: "\(o.failures) of \(o.shape.reduce(1, *)) values outside |a − b| ≤ \(report.atol) + "
                    + "\(report.rtol)·|b| (max abs \(o.maxAbs), min row cosine \(o.minCosine)) against golden case "
                    + report.caseName))
        }
        return (report, images, versions)
    }

    static func isMaskToken(_ name: String) -> Bool { name == "mask_token" || name.hasSuffix(".mask_token") }

    /// The dtype most tensors have (ties: the wider one), nil for an empty checkpoint.
    static func majorityDType(_ checkpoint: Checkpoint) -> DType? {
        var counts: [DType: Int] = [:]
        for t in checkpoint.tensors { counts[t.dtype, default: 0] += 1 }
        return counts.max { $0.value != $1.value ? $0.value < $1.value : $0.key < $1.key }?.key
    }

    // MARK: - Expectations

    /// The expected tensors (nil when there is nothing to compare keys against), a description, and
    /// the backbone layout they are spelled in.
    static func expectation(for checkpoint: Checkpoint, options: Options, detected: DetectedLayout?,
                            detectionError: String, problems: inout [VerifyProblem]) throws -> ([Expected]?, StrictReport.Expectation, LayoutKind?) {
        let names = Set(checkpoint.names)
        switch options.expect {
        case let .spec(.backbone(name, arch)):
            let candidates = options.layout.map { [$0] } ?? LayoutKind.backbones
            let layout = bestLayout(candidates, names: names, detected: detected) { Layouts.expectedTensors(for: arch, layout: $0).map(\.name) }
            let list = Layouts.expectedTensors(for: arch, layout: layout).map { Expected(name: $0.name, shape: $0.shape) }
            return (list, .init(source: .spec, name: name, layout: layout.rawValue, summary: "\(name) (\(layout.rawValue) \(arch.summary))"), layout)

        case let .spec(.head(name, head)):
            let spellings = WeightNormSpelling.allCases
            let scored = spellings.map { s in (s, Layouts.expectedHeadTensors(for: head, weightNorm: s).filter { names.contains($0.name) }.count) }
            let spelling = scored.max { $0.1 < $1.1 }!.0  // ties keep the first: legacy, as released
            let list = Layouts.expectedHeadTensors(for: head, weightNorm: spelling).map { Expected(name: $0.name, shape: $0.shape) }
            var h = head
            h.weightNorm = spelling
            return (list, .init(source: .spec, name: name, layout: LayoutKind.dinoHead.rawValue, summary: "\(name) (\(h.summary))"), .dinoHead)

        case let .like(other):
            return try likeExpectation(checkpoint, other: other, pinned: options.layout, detected: detected)

        case .detected:
            guard let d = detected else {
                // Detection refuses an incomplete model; read the intended one from the majority of
                // its tensors so every missing, unexpected and misshapen key can still be listed.
                if let g = ArchitectureGuess.guess(checkpoint) {
                    let train = g.prefix.contains("teacher.") || g.prefix.contains("student.")
                    var layout: LayoutKind = options.layout ?? g.layout
                    if !layout.isBackbone { layout = .dinov2 }
                    let prefix = train || layout != g.layout ? "" : g.prefix
                    let list = Layouts.expectedTensors(for: g.architecture, layout: layout).map { Expected(name: prefix + $0.name, shape: $0.shape) }
                    return (list, .init(source: .detected, name: nil, layout: layout.rawValue,
                                        summary: "inferred \(layout.rawValue) \(g.architecture.summary)",
                                        headsAssumed: headsAssumed(g.architecture, rule: g.headsRule)), layout)
                }
                problems.append(VerifyProblem(key: "", kind: .layout, expected: .string("a known layout (\((LayoutKind.backbones + [.dinoHead]).map(\.rawValue).joined(separator: ", ")))"),
                                              actual: .null, detail: detectionError,
                                              hint: "name the model with --expect (e.g. --expect raddino) to list every missing and unexpected key"))
                return (nil, .init(source: .detected, name: nil, layout: nil, summary: "no detectable layout"), nil)
            }
            return detectedExpectation(d, pinned: options.layout, problems: &problems)
        }
    }

    /// The layout among `candidates` whose expected names overlap the file's the most; ties go to the
    /// detected layout, then to the first candidate.
    static func bestLayout(_ candidates: [LayoutKind], names: Set<String>, detected: DetectedLayout?,
                           expectedNames: (LayoutKind) -> [String]) -> LayoutKind {
        let scored = candidates.map { k in (k, expectedNames(k).filter { names.contains($0) }.count) }
        let best = scored.map(\.1).max() ?? 0
        let tied = scored.filter { $0.1 == best }.map(\.0)
        if let d = detected?.kind, tied.contains(d) { return d }
        if best == 0 {
            // Nothing matches by name (e.g. a prefixed training checkpoint): go by the key roots.
            let votes = candidates.map { k in (k, names.filter { KeyDiagnosis.layout(ofKey: strippedOfPrefix($0)) == k }.count) }
            if let top = votes.max(by: { $0.1 < $1.1 }), top.1 > 0 { return top.0 }
        }
        return tied[0]
    }

    /// A key without `teacher.backbone.`-style wrappers, for layout votes.
    static func strippedOfPrefix(_ key: String) -> String {
        for root in KeyDiagnosis.roots.flatMap(\.1) {
            if let r = key.firstRange(of: "." + root) { return String(key[key.index(after: r.lowerBound)...]) }
        }
        return key
    }

    static func detectedExpectation(_ d: DetectedLayout, pinned: LayoutKind?,
                                    problems: inout [VerifyProblem]) -> ([Expected]?, StrictReport.Expectation, LayoutKind?) {
        if d.kind == .dinoHead, let head = d.head {
            let list = Layouts.expectedHeadTensors(for: head, weightNorm: head.weightNorm).map { Expected(name: $0.name, shape: $0.shape) }
            return (list, .init(source: .detected, name: nil, layout: d.kind.rawValue, summary: "detected \(head.summary)"), .dinoHead)
        }
        guard let arch = d.architecture else {
            return (nil, .init(source: .detected, name: nil, layout: d.kind.rawValue, summary: "detected \(d.summary)"), nil)
        }
        // A training checkpoint is not a release: expect the release keys, so every key shows up as a
        // prefixed near miss with the command that extracts the release.
        var layout: LayoutKind = pinned ?? d.kind
        if !layout.isBackbone { layout = .dinov2 }  // a training checkpoint's backbone is original
        let prefix = d.kind == .dinov2Train || layout != d.kind ? "" : d.prefix
        let list = Layouts.expectedTensors(for: arch, layout: layout).map { Expected(name: prefix + $0.name, shape: $0.shape) }
        return (list, .init(source: .detected, name: nil, layout: layout.rawValue, summary: "detected \(layout.rawValue) \(arch.summary)",
                            headsAssumed: headsAssumed(arch, rule: d.headsRule)), layout)
    }

    /// `Expectation.headsAssumed` for an architecture whose heads `rule` chose (nil: recorded).
    static func headsAssumed(_ arch: Architecture, rule: String?) -> String? {
        rule.map { Architecture.assumedHeadsText(arch.heads, rule: $0) }
    }

    static func likeExpectation(_ checkpoint: Checkpoint, other: Checkpoint, pinned: LayoutKind?,
                                detected: DetectedLayout?) throws -> ([Expected]?, StrictReport.Expectation, LayoutKind?) {
        let names = Set(checkpoint.names)
        let asIs = other.tensors.map { Expected(name: $0.name, shape: $0.shape, dtype: $0.dtype) }
        guard let otherAnalysis = try? Layouts.analyze(other) else {
            return (asIs, .init(source: .like, name: other.path, layout: nil, summary: "the tensors of \(other.path)"), nil)
        }
        let o = otherAnalysis.detected
        if o.kind == .dinoHead, let head = o.head {
            let spelling: WeightNormSpelling = names.contains(WeightNormSpelling.parametrized.vKey) ? .parametrized : .legacy
            let list = try Layouts.convertHead(otherAnalysis, weightNorm: spelling).tensors.map { Expected(name: $0.name, shape: $0.shape, dtype: $0.dtype) }
            return (list, .init(source: .like, name: other.path, layout: o.kind.rawValue, summary: "\(other.path) (\(head.summary))"), .dinoHead)
        }
        guard let arch = o.architecture else {
            return (asIs, .init(source: .like, name: other.path, layout: o.kind.rawValue, summary: "the tensors of \(other.path)"), nil)
        }
        let candidates = pinned.map { [$0] } ?? LayoutKind.backbones
        let layout = bestLayout(candidates, names: names, detected: detected) { Layouts.expectedTensors(for: arch, layout: $0).map(\.name) }
        let list = try Layouts.convertBackbone(otherAnalysis, to: layout).tensors.map { Expected(name: $0.name, shape: $0.shape, dtype: $0.dtype) }
        let via = o.kind == layout ? "" : ", mapped from \(o.kind.rawValue)"
        return (list, .init(source: .like, name: other.path, layout: layout.rawValue,
                            summary: "\(other.path) (\(layout.rawValue) \(arch.summary)\(via))",
                            headsAssumed: headsAssumed(arch, rule: o.headsRule)), layout)
    }
}
