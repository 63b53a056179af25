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

    /// Runs the command; library errors print as `ckpt: error: …` and exit 2.
    static func main() {
        Signals.install()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as CkptError {
            printError("ckpt: error: \(error)")
            Glibc.exit(error.exitCode)
        } catch let error as ImageProblem {
            // The library names the limit; the flag that raises it is the CLI's to name.
            if case .tooManyPixels = error {
                printError("ckpt: error: \(error) (--max-image-pixels N)")
            } else {
                printError("ckpt: error: \(error)")
            }
            Glibc.exit(2)
        } catch let error as DICOMProblem {
            printError("ckpt: error: \(error)")
            Glibc.exit(error.exitCode)
        } catch {
            exit(withError: error)
        }
    }
}
