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
        version: "0.1.0",
        subcommands: [Inspect.self, Convert.self, Synth.self, Verify.self, ManifestCommand.self, Diff.self, Embed.self]
    )

    /// Runs the command; library errors print as `ckpt: error: …` and exit 2.
    static func main() {
        // Past RLIMIT_FSIZE the kernel would kill us with SIGXFSZ, leaving the temporary output
        // behind; ignored, write(2) fails with EFBIG and the writer reports it and cleans up.
        signal(SIGXFSZ, SIG_IGN)
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as CkptError {
            printError("ckpt: error: \(error)")
            Glibc.exit(error.exitCode)
        } catch {
            exit(withError: error)
        }
    }
}

/// Writes a line to standard error.
func printError(_ message: String) {
    var line = message
    line.append("\n")
    fputs(line, stderr)
}
