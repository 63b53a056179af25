/// What every error a ckpt module throws has: the file it is about, the process exit code, and a message
/// that starts with that file. `CkptError` (the core's, carrying `SafetensorsProblem`s), `ImageProblem`,
/// and `FileProblem` (`LayoutError`, `GoldenCaseError`) conform; a program catches `any CkptProblem` to report
/// any of them.
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

/// A module's problem with one file: the file and what is wrong with it, exit code 2 (unreadable or unusable
/// input). `LayoutError` and `GoldenCaseError` are this over their modules' problem enums.
public struct FileProblem<Problem: Equatable & Sendable & CustomStringConvertible>: CkptProblem, Equatable {
    /// The file or folder as given.
    public let path: String
    /// What is wrong with it.
    public let problem: Problem

    /// The problem `problem` with the file at `path`.
    public init(path: String, problem: Problem) {
        self.path = path
        self.problem = problem
    }

    /// 2: the input cannot be used.
    public var exitCode: Int32 { 2 }
    /// `path: problem`.
    public var description: String { "\(path): \(problem)" }
}
