import CkptCore

/// A golden case that cannot be checked: the file (`golden.json` or the expected outputs) and what is wrong.
public typealias GoldenCaseError = FileProblem<GoldenCaseProblem>

/// Why a golden case folder (`golden.json`, its pixels and expected outputs) cannot be checked. The
/// path the error carries names the file; each case names the field or tensor.
public enum GoldenCaseProblem: Equatable, Sendable, CustomStringConvertible {
    /// `golden.json` is not valid JSON; `detail` is the parser's message with its offset.
    case notJSON(detail: String)
    /// A field of `golden.json` is absent (`found` nil) or holds something else than `expected`.
    case field(name: String, found: String?, expected: String)
    /// The case expects `head_output`, but no DINOHead weights were given and `golden.json` names none
    /// (`weights.head.file`).
    case noHeadWeights
    /// The expected outputs hold a tensor the forward pass does not produce.
    case unknownExpectedTensor(name: String)
    /// An expected tensor does not fit the forward pass's output: `produced` values from a batch of
    /// `batch` images, `tokens` tokens each, `width` wide (the weights are not the case's model).
    case outputMismatch(tensor: String, shape: [Int], produced: Int, batch: Int, tokens: Int, width: Int)

    /// What is wrong, naming the field or tensor (the path is the error's).
    public var description: String {
        switch self {
        case let .notJSON(detail):
            return "not valid JSON: \(detail)"
        case let .field(name, nil, expected):
            return "missing \(name) (\(expected))"
        case let .field(name, found?, expected):
            return "\(name) is \(found); expected \(expected)"
        case .noHeadWeights:
            return "the case expects head_output but no DINOHead weights were given, and golden.json names none (weights.head.file)"
        case let .unknownExpectedTensor(name):
            return "unknown expected tensor \"\(name)\" (ckpt produces pooler_output, last_hidden_state, last_hidden_state_head/_tail and head_output)"
        case let .outputMismatch(tensor, shape, produced, batch, tokens, width):
            return "expected \"\(tensor)\" has shape \(shape), the forward pass produced \(produced) values (\(batch) × \(tokens) tokens × \(width)): are these the case's weights?"
        }
    }
}
