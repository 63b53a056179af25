import CkptCore
/// One finding of `ckpt verify`: what is wrong with which tensor, what was expected and what was found.
///
/// `expected` and `actual` are JSON values so a shape stays an array and a dtype a string in the
/// `ckpt.verify/1` output; `detail` is the sentence people read.
public struct VerifyProblem: Equatable, Sendable {
    /// What kind of finding this is. The raw values are the stable `kind` strings of `ckpt.verify/1`,
    /// and the declaration order is the order findings are reported in.
    public enum Kind: String, CaseIterable, Sendable {
        /// The checkpoint could not be matched to any known layout, or is not a release.
        case layout
        /// An expected key is absent.
        case missing
        /// A key that is not expected.
        case unexpected
        /// A tensor of the manifest is present under another name with the same bytes.
        case renamed
        /// Shape differs from the expectation.
        case shape
        /// Dtype differs from the expectation (or from the release's one dtype).
        case dtype
        /// The tensor's bytes differ from the manifest's SHA-256.
        case bytes
        /// A file's SHA-256 or size differs from the manifest.
        case file
        /// safetensors `__metadata__` differs from the manifest.
        case metadata
        /// NaN or ±Inf values.
        case nonFinite = "non_finite"
        /// An output of the forward pass is outside the golden case's tolerance.
        case golden
        /// Warning: every element is zero (outside `mask_token`, which is zero by design).
        case allZeros = "all_zeros"
        /// Warning: the tensor holds exactly the bytes of another tensor.
        case duplicate

        /// Kinds that are always warnings: reported, never failing the check.
        public var isWarning: Bool { self == .allZeros || self == .duplicate }

        /// The heading of this group in the text report.
        public var heading: String {
            switch self {
            case .layout: return "layout"
            case .missing: return "missing keys"
            case .unexpected: return "unexpected keys"
            case .renamed: return "renamed tensors"
            case .shape: return "shape mismatches"
            case .dtype: return "dtype mismatches"
            case .bytes: return "content mismatches (SHA-256)"
            case .file: return "file mismatches"
            case .metadata: return "metadata mismatches"
            case .nonFinite: return "non-finite values"
            case .golden: return "golden forward pass"
            case .allZeros: return "all-zero tensors"
            case .duplicate: return "duplicate tensors"
            }
        }
    }

    /// The tensor key (or file name, or metadata key) the finding is about; "" for whole-file findings.
    public var key: String
    /// What kind of finding.
    public var kind: Kind
    /// What was expected (a shape, dtype, hash…; `.null` when nothing).
    public var expected: JSONValue
    /// What was found (`.null` when absent).
    public var actual: JSONValue
    /// A short human sentence: the values in words, and for near-miss keys the diagnosis.
    public var detail: String
    /// What to do about it (e.g. "use `ckpt convert train-to-release`"), when ckpt knows.
    public var hint: String?
    /// A warning is reported but does not fail the check: the warning kinds always, and unexpected
    /// keys and dtype mismatches when verify runs without `--strict`.
    public var isWarning: Bool

    package init(key: String, kind: Kind, expected: JSONValue = .null, actual: JSONValue = .null,
                detail: String = "", hint: String? = nil, warning: Bool? = nil) {
        self.key = key
        self.kind = kind
        self.expected = expected
        self.actual = actual
        self.detail = detail
        self.hint = hint
        self.isWarning = warning ?? kind.isWarning
    }

    /// Report order: errors before warnings, then by kind, then by key (UTF-8 bytes).
    public static func reportOrder(_ a: VerifyProblem, _ b: VerifyProblem) -> Bool {
        if a.isWarning != b.isWarning { return !a.isWarning }
        let ka = Kind.allCases.firstIndex(of: a.kind)!, kb = Kind.allCases.firstIndex(of: b.kind)!
        if ka != kb { return ka < kb }
        return a.key.utf8.lexicographicallyPrecedes(b.key.utf8)
    }

    /// The entry in `ckpt.verify/1`.
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("key", .string(key)),
            ("kind", .string(kind.rawValue)),
            ("severity", .string(isWarning ? "warning" : "error")),
            ("expected", expected),
            ("actual", actual),
            ("detail", .string(detail)),
        ]
        members.append(("hint", hint.map { .string($0) } ?? .null))
        return .object(members)
    }
}

/// JSON and text spellings of shapes shared by the verify, manifest and diff reports.
enum Shapes {
    static func json(_ shape: [Int]) -> JSONValue { .array(shape.map { .int($0) }) }
    static func text(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
}
