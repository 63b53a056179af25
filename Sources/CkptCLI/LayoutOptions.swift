import ArgumentParser
import CkptKit

/// `--weight-norm legacy|parametrized`: how the DINOHead's last layer is spelled in the output.
enum WeightNormChoice: String, ExpressibleByArgument, CaseIterable {
    case legacy, parametrized

    var spelling: WeightNormSpelling { self == .legacy ? .legacy : .parametrized }
}

/// A backbone layout named on the command line (`--layout`, `--to`): any of `LayoutKind.backbones`,
/// which `--help` lists.
struct BackboneLayoutChoice: ExpressibleByArgument, CustomStringConvertible {
    let kind: LayoutKind

    init(_ kind: LayoutKind) { self.kind = kind }

    init?(argument: String) {
        guard let kind = LayoutKind(rawValue: argument), kind.isBackbone else { return nil }
        self.kind = kind
    }

    static var allValueStrings: [String] { LayoutKind.backbones.map(\.rawValue) }
    var description: String { kind.rawValue }
}

/// `--from teacher|student`: which network of a training checkpoint.
enum BranchChoice: String, ExpressibleByArgument, CaseIterable {
    case teacher, student

    var branch: TrainBranch { self == .teacher ? .teacher : .student }
}

extension OutputOptions {
    /// The writer's cast for `--dtype`.
    var cast: LayoutWriter.Cast { { dtype.target(for: $0) } }
}

/// Prints conversion warnings to standard error.
func printWarnings(_ conversion: Layouts.Conversion) {
    for warning in conversion.warnings { printError("ckpt: warning: \(warning)") }
}

/// Reads `checkpoint` once (the analysis every later step of the command uses) and refuses a layout
/// that is not one a direction converts from.
func requireLayout(_ checkpoint: Checkpoint, _ allowed: [LayoutKind], command: String,
                   branch: TrainBranch = .teacher) throws -> Layouts.Analysis {
    let analysis = try Layouts.analyze(checkpoint, branch: branch)
    let detected = analysis.detected
    guard allowed.contains(detected.kind) else {
        throw LayoutError(path: checkpoint.path, problem: .wrongLayout(
            kind: detected.kind, summary: detected.summary, command: "ckpt convert \(command)", accepted: allowed))
    }
    return analysis
}

/// The written head's summary: the detected shape with the output's weight-norm spelling.
func headSummary(_ conversion: Layouts.Conversion, _ spelling: WeightNormSpelling?) -> String {
    guard var head = conversion.detected.head else { return "DINOHead" }
    if let spelling { head.weightNorm = spelling }
    return head.summary
}
