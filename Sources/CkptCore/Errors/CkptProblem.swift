/// What every error a ckpt module throws has: the file it is about, the process exit code, and a message
/// that starts with that file. `CkptError` (the core's, carrying `SafetensorsProblem`s), `ImageProblem`,
/// `LayoutError` and `GoldenCaseError` conform; a program catches `any CkptProblem` to report any of them.
/// Flags are not the library's to name: the `ckpt` tool appends the one that changes the outcome
/// (`--force`, `--max-image-pixels N`) when it prints the message.
public protocol CkptProblem: Error, Sendable, CustomStringConvertible {
    /// The file or folder the problem is about (as given, not resolved); empty only for a missing shared
    /// library, which belongs to no input.
    var path: String { get }
    /// The stable process exit code: 2 for unreadable or malformed input and I/O errors, 1 for a check
    /// that found problems.
    var exitCode: Int32 { get }
}
