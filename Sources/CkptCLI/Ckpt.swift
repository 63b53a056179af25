import ArgumentParser
import CkptKit
#if canImport(Glibc)
import Glibc
#endif

/// `ckpt`: convert and verify DINOv2-family checkpoints.
///
/// Exit codes: 0 success; 1 a check found problems; 2 unreadable or malformed input, or an I/O error;
/// 64 usage error.
@main
struct Ckpt: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ckpt",
        abstract: "Convert and verify DINOv2-family vision-transformer checkpoints.",
        discussion: """
            Exit codes: 0 success, 1 a check found problems, 2 unreadable or malformed input or an \
            I/O error, 64 usage error.
            """,
        version: ckptVersion,
        subcommands: [Inspect.self, Convert.self, Synth.self, Verify.self, ManifestCommand.self, Diff.self, Embed.self, Preprocess.self]
    )

    /// Runs the command; a library error prints as `ckpt: error: …` (with the flag that changes the outcome,
    /// which is the CLI's to name) and exits with its own code.
    static func main() {
        Signals.install()
        do {
            var command = try parseAsRoot()
            try command.run()
            #if DEBUG
            if getenv("CKPT_DEBUG_ANALYSES") != nil {
                printError("ckpt: debug: \(Layouts.analysisCount.withLock { $0 }) layout analyses")
            }
            #endif
        } catch let problem as any CkptProblem {
            printError("ckpt: error: \(problem)\(flagHint(problem))")
            Glibc.exit(problem.exitCode)
        } catch {
            exit(withError: error)
        }
    }

    /// The flag that would change the outcome of `problem`, as a suffix of its message.
    static func flagHint(_ problem: any CkptProblem) -> String {
        switch problem {
        case CkptError.outputExists: return " (pass --force to overwrite)"
        case ImageProblem.tooManyPixels, DICOMProblem.tooManyPixels: return " (--max-image-pixels N)"
        default: return ""
        }
    }
}
