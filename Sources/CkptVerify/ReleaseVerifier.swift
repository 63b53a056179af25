import CkptCheckpoint
import CkptCore
import CkptForward
import CkptLayout

/// `ckpt verify --release`: each checkpoint of a release bundle as `StrictVerifier` checks one file,
/// then the bundle as a whole — the files are the bundle's (none missing, none unknown, each as signed
/// off), the HF and original-layout backbones are the same tensors (what `ckpt diff` says), the head
/// takes the backbone's width, `config.json` agrees with the tensors, and a golden case was made with
/// the bundle's own `preprocessor_config.json`.
public enum ReleaseVerifier {
    /// What to check against.
    public struct Options {
        /// Check every part against the RAD-DINO specs (`raddino`, `raddino-head`); else each part's
        /// detected architecture.
        public var raddino: Bool
        /// Unexpected keys and dtype mismatches are errors (as `verify --strict`).
        public var strict: Bool
        /// The signed-off release manifest and its path.
        public var manifest: (ReleaseManifest, path: String)?
        /// A golden forward case for the HF weights.
        public var golden: StrictVerifier.Golden?
        /// Hashing and forward-pass threads.
        public var threads: Int
        /// Bytes-done counter for a progress display.
        public var progress: ProgressCounter?

        /// Options; everything but the bundle folder.
        public init(raddino: Bool = false, strict: Bool = true, manifest: (ReleaseManifest, path: String)? = nil,
                    golden: StrictVerifier.Golden? = nil, threads: Int = 1, progress: ProgressCounter? = nil) {
            self.raddino = raddino
            self.strict = strict
            self.manifest = manifest
            self.golden = golden
            self.threads = threads
            self.progress = progress
        }
    }

    /// Checks the bundle at `dir`. Every problem is in the report, an unreadable part too (it makes the
    /// exit code 2); only an unreadable folder or manifest throws.
    public static func verify(_ dir: String, options: Options) throws -> ReleaseReport {
        let excluded = [options.manifest?.path, options.golden?.directory].compactMap { $0 }.compactMap { FileIdentity.of(path: $0) }
        let listing = try ReleaseBundle.listing(dir, excluding: excluded)
        var problems: [ReleaseProblem] = []
        problems += listing.missing.map { ReleaseProblem(.missingFile, file: $0, "not in the folder; every bundle holds it") }
        problems += listing.unknown.map { ReleaseProblem(.unknownFile, file: $0, "not a file of a release bundle") }

        // Each checkpoint opened, and its layout analysed once, for its own report and the bundle's checks alike.
        var checkpoints: [ReleaseBundle.Part: Checkpoint] = [:]
        var results: [ReleaseBundle.Part: Result<Layouts.Analysis, any Error>] = [:]
        for part in ReleaseBundle.Part.allCases where !listing.missing.contains(part.rawValue) {
            let checkpoint: Checkpoint
            do { checkpoint = try ReleaseBundle.open(part, in: dir) } catch let error as any CkptProblem {
                problems.append(ReleaseProblem(.unreadable, file: part.rawValue, "\(error)"))
                continue
            }
            checkpoints[part] = checkpoint
            results[part] = Result { try Layouts.analyze(checkpoint) }
        }
        var analyses = results.compactMapValues { try? $0.get() }

        // Each checkpoint, as `ckpt verify` checks one file.
        var reports: [(ReleaseBundle.Part, StrictReport)] = []
        for part in ReleaseBundle.Part.allCases {
            guard let checkpoint = checkpoints[part], let analysis = results[part] else { continue }
            var partManifest: (Manifest, path: String)? = nil
            if let (release, path) = options.manifest {
                if let m = release.manifest(of: part) { partManifest = (m, path) } else {
                    problems.append(ReleaseProblem(.file, file: part.rawValue, "not pinned by the release manifest \(path)"))
                }
            }
            // The golden case's head_output is checked against the bundle's own head.
            var golden = part == .hf ? options.golden : nil
            if golden != nil, golden?.head == nil, let head = analyses[.head] {
                golden?.head = try? DINOHead(analysis: head)
            }
            let spec = options.raddino ? ExpectationSpec.parse(part.raddinoSpec) : nil
            let partOptions = StrictVerifier.Options(
                expect: spec.map { .spec($0) } ?? .detected, layout: part.layout, strict: options.strict, manifest: partManifest,
                golden: golden, threads: options.threads, progress: options.progress)
            // config.json against the tensors first: with a conflict the HF folder has no layout to map
            // or run, so its findings are the conflicts themselves.
            if part == .hf, case let .failure(error as LayoutError) = analysis,
               case let .configConflict(conflicts) = error.problem {
                problems += conflicts.map { ReleaseProblem(.config, file: ReleaseBundle.configName, $0) }
                checkpoints[part] = nil
                analyses[part] = nil
                continue
            }
            do {
                var report = try StrictVerifier.verify(checkpoint, analysis: analysis, options: partOptions)
                // Named by its file in the bundle: the bundle's folder heads the report.
                report.path = part.rawValue
                reports.append((part, report))
            } catch let error as any CkptProblem {
                problems.append(ReleaseProblem(.unreadable, file: part.rawValue, "\(error)"))
            }
        }

        // The bundle as a whole.
        if let hf = checkpoints[.hf], let backbone = checkpoints[.backbone] {
            problems += sameBackbone(hf, backbone, analyses: (analyses[.hf], analyses[.backbone]))
        }
        let backboneAnalysis = checkpoints[.hf] != nil ? analyses[.hf] : analyses[.backbone]
        if checkpoints[.head] != nil, let h = analyses[.head]?.detected.head,
           let b = backboneAnalysis?.detected.architecture, h.inDim != b.width {
            problems.append(ReleaseProblem(.headWidth, file: ReleaseBundle.Part.head.rawValue,
                                           "the head takes \(h.inDim)-wide input, the backbone gives \(b.width)",
                                           expected: .int(b.width), actual: .int(h.inDim)))
        }
        if let golden = options.golden, !listing.missing.contains(ReleaseBundle.preprocessorName) {
            problems += try samePreprocessor(FileSystem.join(dir, ReleaseBundle.preprocessorName), golden: golden.directory)
        }
        if let (release, path) = options.manifest {
            problems += try pinnedFiles(dir, present: listing.present, release: release, manifestPath: path, reports: reports)
        }
        return ReleaseReport(path: dir, manifestPath: options.manifest?.path, problems: problems, parts: reports)
    }

    /// The HF and original-layout backbones hold the same tensors, bit for bit (B mapped into A's layout,
    /// as `ckpt diff` does).
    static func sameBackbone(_ hf: Checkpoint, _ backbone: Checkpoint,
                             analyses: (Layouts.Analysis?, Layouts.Analysis?)) -> [ReleaseProblem] {
        let file = ReleaseBundle.Part.backbone.rawValue
        let diff: CheckpointDiff
        do { diff = try CheckpointDiff.diff(hf, backbone, analyses: analyses, atol: nil) } catch {
            return [ReleaseProblem(.layoutsDiffer, file: file, "cannot be compared with model.safetensors: \(error)")]
        }
        guard !diff.identical else { return [] }
        var out = diff.entries.filter { $0.status != .identical }.map { e in
            ReleaseProblem(.layoutsDiffer, file: file, key: e.key, "\(e.status.rawValue.replacingUnderscores()) from model.safetensors"
                + (e.maxAbsDiff.map { " (max |a−b| \($0))" } ?? ""))
        }
        out += diff.onlyInA.map { ReleaseProblem(.layoutsDiffer, file: file, key: $0, "in model.safetensors only") }
        out += diff.onlyInB.map { ReleaseProblem(.layoutsDiffer, file: file, key: $0, "in backbone_compatible.safetensors only") }
        return out
    }

    /// The golden case's `preprocessor_config.json` says what the bundle's says (same members and values,
    /// in any order).
    static func samePreprocessor(_ bundle: String, golden: String) throws -> [ReleaseProblem] {
        let name = ReleaseBundle.preprocessorName
        let casePath = FileSystem.join(golden, name)
        guard FileSystem.kind(of: casePath) == .file else {
            return [ReleaseProblem(.preprocessor, file: name, "the golden case \(golden) has no \(name) (a pixel case): the bundle's preprocessing is not checked by it", warning: true)]
        }
        func canonical(_ path: String) throws -> JSONValue {
            do { return canonicalJSON(try StrictJSONParser.parse(try FileSystem.readSmallFile(path))) } catch let e as JSONError {
                throw CkptError.unsupportedInput(path: path, reason: "not valid JSON: \(e)")
            }
        }
        let mine = try canonical(bundle), theirs = try canonical(casePath)
        guard mine != theirs, case .object(let a) = mine, case .object(let b) = theirs else {
            return mine == theirs ? [] : [ReleaseProblem(.preprocessor, file: name, "differs from the golden case's \(casePath)")]
        }
        let keys = Set(a.map(\.0)).union(b.map(\.0)).sorted()
        return keys.compactMap { key in
            let x = mine[key], y = theirs[key]
            guard x != y else { return nil }
            return ReleaseProblem(.preprocessor, file: name, key: key,
                                  "\(x.map { JSONWriter.compact($0) } ?? "absent") here, \(y.map { JSONWriter.compact($0) } ?? "absent") in the golden case \(casePath)",
                                  expected: y ?? .null, actual: x ?? .null)
        }
    }

    /// Every file of the folder is one the manifest pins, with its bytes; checkpoint files are compared in
    /// their part's report (a `file` finding there), the others here.
    static func pinnedFiles(_ dir: String, present: [String], release: ReleaseManifest, manifestPath: String,
                            reports: [(ReleaseBundle.Part, StrictReport)]) throws -> [ReleaseProblem] {
        var out: [ReleaseProblem] = []
        let pinned = Dictionary(release.files.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let checkedByParts = Set(reports.flatMap { part, _ in release.manifest(of: part)?.files.map(\.name) ?? [] })
        for name in present {
            guard let want = pinned[name] else {
                out.append(ReleaseProblem(.file, file: name, "not in the release manifest \(manifestPath)"))
                continue
            }
            guard !checkedByParts.contains(name) else { continue }
            let file = try MappedFile(path: FileSystem.join(dir, name))
            let sha = try Hashing.sha256(of: file)
            if sha != want.sha256 || file.size != want.bytes {
                out.append(ReleaseProblem(.file, file: name, "\(file.size) bytes, sha256 \(sha); signed off: \(want.bytes) bytes, sha256 \(want.sha256)",
                                          expected: .string(want.sha256), actual: .string(sha)))
            }
        }
        for name in pinned.keys.sorted() where !present.contains(name) && FileSystem.kind(of: FileSystem.join(dir, name)) == .missing {
            if ReleaseBundle.requiredFiles.contains(name) { continue }  // already reported as missing
            out.append(ReleaseProblem(.file, file: name, "pinned by the release manifest but not in the folder"))
        }
        return out
    }

    /// Objects with their members sorted by name and numbers by value, at every depth.
    static func canonicalJSON(_ v: JSONValue) -> JSONValue {
        switch v {
        case let .object(members): return .object(members.map { ($0.0, canonicalJSON($0.1)) }.sorted { $0.0 < $1.0 })
        case let .array(items): return .array(items.map(canonicalJSON))
        case let .number(text): return Double(text).map { .number(String($0)) } ?? v
        default: return v
        }
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String { split(separator: "_").joined(separator: " ") }
}
