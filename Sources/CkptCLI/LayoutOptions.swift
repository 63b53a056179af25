import ArgumentParser
import CkptKit

/// `--weight-norm legacy|parametrized`: how the DINOHead's last layer is spelled in the output.
enum WeightNormChoice: String, ExpressibleByArgument, CaseIterable {
    case legacy, parametrized

    var spelling: WeightNormSpelling { self == .legacy ? .legacy : .parametrized }
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

/// Refuses a source whose layout is not the one a direction converts from.
func requireLayout(_ checkpoint: Checkpoint, _ allowed: [LayoutKind], command: String) throws -> DetectedLayout {
    let detected = try Layouts.detect(checkpoint)
    guard allowed.contains(detected.kind) else {
        throw CkptError.invalidRequest("\(checkpoint.path): this is a \(detected.kind.rawValue) checkpoint (\(detected.summary)); `ckpt convert \(command)` reads \(allowed.map(\.rawValue).joined(separator: " or "))")
    }
    return detected
}

/// The written head's summary: the detected shape with the output's weight-norm spelling.
func headSummary(_ conversion: Layouts.Conversion, _ spelling: WeightNormSpelling?) -> String {
    guard var head = conversion.detected.head else { return "DINOHead" }
    if let spelling { head.weightNorm = spelling }
    return head.summary
}
