import CkptCheckpoint
import CkptCore

/// One finding about a release bundle as a whole (the findings inside one checkpoint are its
/// `StrictReport`'s).
public struct ReleaseProblem: Equatable, Sendable {
    /// What kind of finding; raw values are the `kind` strings of `ckpt.verify-release/1`, in report order.
    public enum Kind: String, CaseIterable, Sendable {
        /// A file every bundle holds is not in the folder.
        case missingFile = "missing_file"
        /// A file that is no part of a release bundle.
        case unknownFile = "unknown_file"
        /// A checkpoint of the bundle cannot be read (makes the exit code 2).
        case unreadable
        /// A file's bytes, or its presence, differ from the release manifest.
        case file
        /// The original-layout backbone is not the HF backbone's tensors.
        case layoutsDiffer = "layouts_differ"
        /// The head's input width is not the backbone's width.
        case headWidth = "head_width"
        /// `config.json` disagrees with the tensors.
        case config
        /// The golden case was made with another `preprocessor_config.json`.
        case preprocessor

        /// The heading of this group in the text report.
        public var heading: String {
            switch self {
            case .missingFile: return "missing files"
            case .unknownFile: return "unknown files"
            case .unreadable: return "unreadable files"
            case .file: return "file mismatches (release manifest)"
            case .layoutsDiffer: return "HF and original-layout backbones differ"
            case .headWidth: return "head does not fit the backbone"
            case .config: return "config.json disagrees with the tensors"
            case .preprocessor: return "preprocessor differs from the golden case's"
            }
        }
    }

    /// What kind of finding.
    public var kind: Kind
    /// The file of the bundle it is about.
    public var file: String
    /// The tensor or member it is about, if any.
    public var key: String?
    /// What was expected and what was found (`.null` when not a value).
    public var expected: JSONValue, actual: JSONValue
    /// The sentence people read.
    public var detail: String
    /// Reported, but does not fail the check.
    public var isWarning: Bool

    package init(_ kind: Kind, file: String, key: String? = nil, _ detail: String, expected: JSONValue = .null,
                 actual: JSONValue = .null, warning: Bool = false) {
        self.kind = kind
        self.file = file
        self.key = key
        self.detail = detail
        self.expected = expected
        self.actual = actual
        self.isWarning = warning
    }

    /// The finding in `ckpt.verify-release/1`.
    public var json: JSONValue {
        .object([("kind", .string(kind.rawValue)), ("file", .string(file)), ("key", key.map { .string($0) } ?? .null),
                 ("expected", expected), ("actual", actual), ("detail", .string(detail)), ("warning", .bool(isWarning))])
    }
}

/// The outcome of `ckpt verify --release`: the bundle's own findings and each checkpoint's report.
///
/// `ckpt.verify-release/1`, members in this order: `schema`; `status` (`pass`, `fail`, `unreadable`);
/// `path`; `manifest` (path or null); `counts` (`{errors, warnings}`, over the bundle and every part);
/// `problems` (the bundle's findings: `[{kind, file, key, expected, actual, detail, warning}]`);
/// `parts` (an object from each checkpoint file read to its `ckpt.verify/1` report).
public struct ReleaseReport: Sendable {
    /// The `schema` member of the JSON report.
    public static let schema = "ckpt.verify-release/1"
    /// The bundle folder as given.
    public var path: String
    /// The release manifest checked against, if any.
    public var manifestPath: String?
    /// Findings about the bundle as a whole.
    public var problems: [ReleaseProblem]
    /// Each checkpoint's report, in `ReleaseBundle.Part` order.
    public var parts: [(ReleaseBundle.Part, StrictReport)]

    /// Bundle errors plus every part's errors.
    public var errorCount: Int { problems.filter { !$0.isWarning }.count + parts.reduce(0) { $0 + $1.1.errors.count } }
    /// Bundle warnings plus every part's warnings.
    public var warningCount: Int { problems.filter(\.isWarning).count + parts.reduce(0) { $0 + $1.1.warnings.count } }
    /// True when nothing failed (warnings allowed).
    public var passed: Bool { errorCount == 0 }
    /// 0 pass; 1 problems found; 2 a checkpoint of the bundle could not be read.
    public var exitCode: Int32 { problems.contains { $0.kind == .unreadable } ? 2 : (passed ? 0 : 1) }

    /// The report in the `ckpt.verify-release/1` schema.
    public var json: JSONValue {
        .object([
            ("schema", .string(Self.schema)),
            ("status", .string(exitCode == 2 ? "unreadable" : passed ? "pass" : "fail")),
            ("path", .string(path)),
            ("manifest", manifestPath.map { .string($0) } ?? .null),
            ("counts", .object([("errors", .int(errorCount)), ("warnings", .int(warningCount))])),
            ("problems", .array(problems.map(\.json))),
            ("parts", .object(parts.map { ($0.0.rawValue, $0.1.json) })),
        ])
    }

    /// Verdict first, then the bundle's findings by kind, then each checkpoint's own report, indented.
    public func text(color: Bool = false, limit: Int = 25) -> String {
        let style = TextStyle(color: color)
        let e = errorCount, w = warningCount
        let counts = "\(e) problem\(e == 1 ? "" : "s"), \(w) warning\(w == 1 ? "" : "s")"
        var lines: [String] = []
        if passed {
            lines.append("\(style.green("PASS")) release \(path): \(parts.count) checkpoints agree with each other\(w > 0 ? " (\(counts))" : "")")
        } else {
            lines.append("\(style.red("FAIL")) release \(path): \(counts)")
        }
        if let manifestPath { lines.append("  manifest: \(manifestPath)") }
        for warning in [false, true] {
            for kind in ReleaseProblem.Kind.allCases {
                let group = problems.filter { $0.kind == kind && $0.isWarning == warning }
                guard !group.isEmpty else { continue }
                lines += style.group(kind.heading, warning: warning,
                                     items: group.map { "  \($0.file)" + ($0.key.map { " \($0)" } ?? "") + ": \($0.detail)" }, limit: limit)
            }
        }
        for (_, report) in parts {
            lines += report.text(color: color, limit: limit).split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }
        }
        return lines.joined(separator: "\n")
    }
}
