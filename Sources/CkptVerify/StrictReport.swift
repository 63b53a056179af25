import CkptCheckpoint
import CkptCore
import CkptLayout
/// The result of `ckpt verify`: every problem found, grouped and sorted, as text for people and CI
/// logs and as JSON in the documented `ckpt.verify/1` schema.
///
/// `ckpt.verify/1`, members in this order:
/// - `schema`: `"ckpt.verify/1"`; `status`: `"pass"` or `"fail"`; `path`: the checked checkpoint
/// - `expectation`: `{source, name, layout, summary, heads_assumed}` — `source` is `spec`, `like` or
///   `detected`; `heads_assumed` says which rule chose the head count in `summary` when no
///   `config.json` gave it (`Architecture.assumedHeadsText`), else null
/// - `strict`: whether unexpected keys and dtype mismatches are errors
/// - `manifest`: the manifest path or null
/// - `checked`: `{tensors, parameters, bytes}`
/// - `counts`: `{errors, warnings}`
/// - `problems`: `[{key, kind, severity, expected, actual, detail, hint}]`, errors first, then by kind
///   in the order of `VerifyProblem.Kind`, then by key
/// - `diagnoses`: `[{kind, count, detail, hint}]` for near-miss keys (`prefixed`, `chunked`,
///   `other_layout`, `no_mask_token`)
/// - `golden`: the `ckpt.golden/1` report of `--golden`, or null when it was not run
public struct StrictReport: Sendable {
    /// The `schema` member of the JSON report.
    public static let schema = "ckpt.verify/1"

    /// Where the expected keys, shapes and dtypes came from.
    public struct Expectation: Equatable, Sendable {
        /// A named spec (`--expect`), another checkpoint (`--like`), or the file's own detection.
        public enum Source: String, Sendable { case spec, like, detected }
        /// Where the expectation came from.
        public var source: Source
        /// The spec name (`raddino`), the `--like` path, or nil for a detected expectation.
        public var name: String?
        /// The layout the expectation is spelled in (`hf`, `dinov2`, `dino-head`), when known.
        public var layout: String?
        /// The expectation in words, as the verdict line shows it.
        public var summary: String
        /// How the head count in `summary` was chosen when no `config.json` gave it, e.g. `2 assumed
        /// (head width 16, …); no config.json gives them`; nil when it was recorded.
        public var headsAssumed: String?

        package init(source: Source, name: String?, layout: String?, summary: String, headsAssumed: String? = nil) {
            self.source = source
            self.name = name
            self.layout = layout
            self.summary = summary
            self.headsAssumed = headsAssumed
        }

        var json: JSONValue {
            .object([
                ("source", .string(source.rawValue)),
                ("name", name.map { .string($0) } ?? .null),
                ("layout", layout.map { .string($0) } ?? .null),
                ("summary", .string(summary)),
                ("heads_assumed", headsAssumed.map { .string($0) } ?? .null),
            ])
        }
    }

    /// A near-miss explanation covering many keys at once.
    public struct Diagnosis: Equatable, Sendable {
        /// Which near miss; raw values are the `kind` strings of `ckpt.verify/1`.
        public enum Kind: String, Sendable { case prefixed, chunked, otherLayout = "other_layout", noMaskToken = "no_mask_token" }
        /// Which near miss.
        public var kind: Kind
        /// How many expected keys it explains.
        public var count: Int
        /// The explanation, in words.
        public var detail: String
        /// What to do about it, when ckpt knows.
        public var hint: String?

        package init(kind: Kind, count: Int, detail: String, hint: String?) {
            self.kind = kind
            self.count = count
            self.detail = detail
            self.hint = hint
        }

        var json: JSONValue {
            .object([("kind", .string(kind.rawValue)), ("count", .int(count)), ("detail", .string(detail)),
                     ("hint", hint.map { .string($0) } ?? .null)])
        }
    }

    /// The checked checkpoint.
    public var path: String
    /// What it was checked against.
    public var expectation: Expectation
    /// Unexpected keys and dtype mismatches were errors.
    public var strict: Bool
    /// The manifest checked against, if any.
    public var manifestPath: String?
    /// Tensors in the checked file.
    public var tensorCount: Int
    /// Elements over all its tensors.
    public var parameters: Int
    /// Bytes of tensor data.
    public var bytes: Int
    /// Sorted with `VerifyProblem.reportOrder`.
    public private(set) var problems: [VerifyProblem]
    /// Near-miss explanations, each covering many keys.
    public var diagnoses: [Diagnosis]
    /// The golden forward comparison (`GoldenReport` text and `ckpt.golden/1` JSON), when run.
    public var golden: (text: String, json: JSONValue)?

    package init(path: String, expectation: Expectation, strict: Bool, manifestPath: String?,
                tensorCount: Int, parameters: Int, bytes: Int, problems: [VerifyProblem], diagnoses: [Diagnosis]) {
        self.path = path
        self.expectation = expectation
        self.strict = strict
        self.manifestPath = manifestPath
        self.tensorCount = tensorCount
        self.parameters = parameters
        self.bytes = bytes
        self.problems = problems.sorted(by: VerifyProblem.reportOrder)
        self.diagnoses = diagnoses
    }

    /// The problems that fail the check.
    public var errors: [VerifyProblem] { problems.filter { !$0.isWarning } }
    /// The problems reported without failing it.
    public var warnings: [VerifyProblem] { problems.filter(\.isWarning) }
    /// True when there is no error (warnings allowed).
    public var passed: Bool { errors.isEmpty }
    /// 0 pass, 1 problems found.
    public var exitCode: Int32 { passed ? 0 : 1 }

    /// The report in the `ckpt.verify/1` schema.
    public var json: JSONValue {
        .object([
            ("schema", .string(Self.schema)),
            ("status", .string(passed ? "pass" : "fail")),
            ("path", .string(path)),
            ("expectation", expectation.json),
            ("strict", .bool(strict)),
            ("manifest", manifestPath.map { .string($0) } ?? .null),
            ("checked", .object([("tensors", .int(tensorCount)), ("parameters", .int(parameters)), ("bytes", .int(bytes))])),
            ("counts", .object([("errors", .int(errors.count)), ("warnings", .int(warnings.count))])),
            ("problems", .array(problems.map(\.json))),
            ("diagnoses", .array(diagnoses.map(\.json))),
            ("golden", golden?.json ?? .null),
        ])
    }

    /// The one-line verdict that heads the text report.
    public func verdict(color: Bool = false) -> String {
        let style = TextStyle(color: color)
        let e = errors.count, w = warnings.count
        let counts = "\(e) problem\(e == 1 ? "" : "s"), \(w) warning\(w == 1 ? "" : "s")"
        let what = "\(tensorCount) tensors, \(InspectReport.grouped(parameters)) parameters"
        if passed {
            return "\(style.green("PASS")) \(path): \(what) match \(expectation.summary)\(w > 0 ? " (\(counts))" : "")"
        }
        return "\(style.red("FAIL")) \(path): \(counts) against \(expectation.summary)"
    }

    /// Verdict, then the diagnoses, then each group of findings with its count. Groups list at most
    /// `limit` entries and say how many more there are.
    public func text(color: Bool = false, limit: Int = 25) -> String {
        let style = TextStyle(color: color)
        var lines = [verdict(color: color)]
        if let headsAssumed = expectation.headsAssumed { lines.append("  heads: \(headsAssumed)") }
        if let manifestPath { lines.append("  manifest: \(manifestPath)") }
        // The diagnosis first: one line that explains a hundred near-miss keys.
        if !diagnoses.isEmpty {
            lines.append(style.bold("diagnosis"))
            for d in diagnoses {
                lines.append("  \(d.detail)" + (d.hint.map { ": \($0)" } ?? ""))
            }
        }
        // Errors first, then warnings; within each, groups in `VerifyProblem.Kind` order.
        for warning in [false, true] {
            for kind in VerifyProblem.Kind.allCases {
                let group = problems.filter { $0.kind == kind && $0.isWarning == warning }
                guard !group.isEmpty else { continue }
                let width = min(56, group.prefix(limit).map(\.key.count).max() ?? 0)
                lines += style.group(kind.heading, warning: warning, items: group.map { p in
                    "  " + (p.key.isEmpty ? "" : TextStyle.pad(p.key, width) + "  ") + p.detail + (p.hint.map { style.dim(" — \($0)") } ?? "")
                }, limit: limit)
            }
        }
        if let golden {
            lines.append(style.bold("golden forward pass"))
            lines += golden.text.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }
        }
        return lines.joined(separator: "\n")
    }
}
