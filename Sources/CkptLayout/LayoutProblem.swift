import CkptCore

/// A checkpoint whose keys do not form a known layout, or do not match what was asked of them: the
/// checkpoint's path and what is wrong.
public typealias LayoutError = FileProblem<LayoutProblem>

/// Why a checkpoint could not be read as (or converted to) a known layout. Every case lists all it
/// found at once, so one run tells the user everything that is wrong.
public enum LayoutProblem: Equatable, Sendable {
    /// No known layout fits. `recognised` names the groups of keys that were understood (e.g.
    /// "HF backbone under \"dinov2.\""), `unrecognised` samples the keys that were not, `known`
    /// lists the layouts ckpt reads.
    case unrecognised(recognised: [String], unrecognised: [String], known: [LayoutKind])
    /// More than one layout fits the keys (e.g. a file holding both an HF and an original backbone).
    case ambiguous(candidates: [String])
    /// The layout was recognised but its tensors do not form a complete model: every missing key,
    /// unexpected key and wrong shape is listed. `layout` is nil for a backbone whose spelling is already
    /// resolved; `architecture` is the summary of what was read, when known.
    case tensorsDoNotMatch(layout: LayoutKind?, architecture: String?, missing: [String], unexpected: [String],
                           wrongShape: [String])
    /// The tensors disagree with `config.json`; each conflict names the field, its value and what the
    /// tensors say.
    case configConflict([String])
    /// The tensors contradict each other (non-square position grid, mixed dtypes in a qkv, …).
    case inconsistent([String])
    /// The requested part is not in this checkpoint (e.g. a head from a backbone-only file).
    case notPresent(String)
    /// The target layout cannot hold what the model needs (a DINOv2 model in a DINOv3 layout, a
    /// non-zero key bias in timm's Eva): each line names the tensor or the model and why. Nothing is written.
    case cannotConvert([String])
    /// The checkpoint is a `kind` checkpoint (`summary`), and `command` reads only the `accepted` layouts.
    case wrongLayout(kind: LayoutKind, summary: String, command: String, accepted: [LayoutKind])
}

extension LayoutProblem: CustomStringConvertible {
    /// What is wrong, over one or more lines (the path is the error's).
    public var description: String {
        switch self {
        case let .unrecognised(recognised, unrecognised, known):
            var lines = ["not a recognised checkpoint layout (\(known.map(\.rawValue).joined(separator: ", ")))"]
            lines.append("  recognised: " + (recognised.isEmpty ? "nothing" : recognised.joined(separator: "; ")))
            lines.append("  not recognised: " + (unrecognised.isEmpty ? "nothing" : Self.sample(unrecognised)))
            return lines.joined(separator: "\n")
        case let .ambiguous(candidates):
            return "ambiguous layout: the keys fit " + candidates.joined(separator: " and ")
        case let .tensorsDoNotMatch(layout, architecture, missing, unexpected, wrongShape):
            let name = (layout?.rawValue ?? "backbone") + (architecture.map { " " + $0 } ?? "")
            var lines = ["tensors do not form a complete \(name) model"]
            if !missing.isEmpty { lines.append("  missing (\(missing.count)): " + missing.joined(separator: ", ")) }
            if !unexpected.isEmpty { lines.append("  unexpected (\(unexpected.count)): " + unexpected.joined(separator: ", ")) }
            if !wrongShape.isEmpty { lines.append("  wrong shape (\(wrongShape.count)): " + wrongShape.joined(separator: "; ")) }
            return lines.joined(separator: "\n")
        case let .configConflict(conflicts):
            return "config.json disagrees with the tensors: " + conflicts.joined(separator: "; ")
        case let .inconsistent(problems):
            return "inconsistent tensors: " + problems.joined(separator: "; ")
        case let .wrongLayout(kind, summary, command, accepted):
            return "this is a \(kind.rawValue) checkpoint (\(summary)); `\(command)` reads "
                + accepted.map(\.rawValue).joined(separator: " or ")
        case let .notPresent(what):
            return what
        case let .cannotConvert(reasons):
            return "cannot convert: " + reasons.joined(separator: "; ")
        }
    }

    /// The first 12 names and a count of the rest.
    package static func sample(_ names: [String]) -> String {
        let shown = names.prefix(12).joined(separator: ", ")
        return names.count > 12 ? "\(shown), … (\(names.count) keys)" : shown
    }
}
