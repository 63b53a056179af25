import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How one run of the `ckpt` executable ended.
public struct CommandResult: Sendable {
    public let arguments: [String]
    /// Exit status, or nil when the process died of a signal or was killed for hanging.
    public let exitCode: Int32?
    /// The signal that ended the process (nil for a normal exit).
    public let signal: Int32?
    /// Still running after the time limit, and SIGKILLed.
    public let timedOut: Bool
    public let stdout: String
    public let stderr: String

    /// The exit status as a shell reports it: the exit code, 128 + the signal for a process killed
    /// by one, -1 for a run killed for hanging. Never a success code unless the run exited 0.
    public var status: Int32 { timedOut ? -1 : exitCode ?? 128 + (signal ?? 0) }

    public var commandLine: String { "ckpt " + arguments.joined(separator: " ") }
    /// One-line summary for assertion messages.
    public var summary: String {
        let how = timedOut ? "hung (killed)" : signal.map { "died of signal \($0)" } ?? "exit \(exitCode!)"
        return "`\(commandLine)` \(how); stderr: \(stderr.trimmingCharacters(in: .whitespacesAndNewlines).prefix(400))"
    }
}

/// Runs the `ckpt` binary that `swift build`/`swift test` put next to the test bundle: to
/// completion with a hard time limit (a run still going is SIGKILLed and reported as a hang),
/// optionally through a wrapper (`ulimit`), reporting signals.
public enum CkptProcess {
    /// Path of the built executable: in the same folder as the running test bundle
    /// (`.build/<triple>/debug/`), else `<root>/.build/debug/ckpt`.
    /// `$CKPT_BINARY`, when set, runs another build instead (a release or sanitizer build).
    public static let executable: String = {
        if let path = ProcessInfo.processInfo.environment["CKPT_BINARY"] { return path }
        let bundleDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        let candidates = [
            bundleDir + "/ckpt",
            Bundle.main.bundleURL.path + "/ckpt",
            PackagePaths.root + "/.build/debug/ckpt",
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates.last!
    }()

    /// Starts `ckpt arguments…` (optionally through `wrapper`, e.g. `/bin/sh -c 'ulimit …; exec "$0" "$@"'`)
    /// with standard input from /dev/null.
    public static func start(_ arguments: [String], in directory: URL? = nil, wrapper: [String] = [],
                             stdout: FileHandle, stderr: FileHandle) throws -> Process {
        let process = Process()
        if wrapper.isEmpty {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: wrapper[0])
            process.arguments = Array(wrapper.dropFirst()) + [executable] + arguments
        }
        if let directory { process.currentDirectoryURL = directory }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        return process
    }

    /// Runs `ckpt arguments…` to completion, or kills it after `timeout` seconds, capturing both
    /// output streams.
    public static func run(_ arguments: [String], in directory: URL? = nil, wrapper: [String] = [],
                           timeout: TimeInterval = 600) throws -> CommandResult {
        let capture = try OutputCapture()
        let process = try start(arguments, in: directory, wrapper: wrapper, stdout: capture.stdout, stderr: capture.stderr)
        let timedOut = !wait(process, timeout: timeout)
        if timedOut {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        return capture.result(of: process, arguments: arguments, timedOut: timedOut)
    }

    /// `run` in the folder at `currentDirectory`.
    public static func run(_ arguments: [String], currentDirectory: String) throws -> CommandResult {
        try run(arguments, in: URL(fileURLWithPath: currentDirectory))
    }

    /// Waits up to `timeout` seconds; false if still running.
    public static func wait(_ process: Process, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline { return false }
            usleep(2_000)
        }
        process.waitUntilExit()
        return true
    }

    /// Names of the subcommands `ckpt <parent…> --help` lists, to run only commands this build has.
    public static func subcommands(of parent: [String]) throws -> Set<String> {
        let result = try run(parent + ["--help"], timeout: 60)
        var names = Set<String>()
        var inList = false
        for line in result.stdout.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("SUBCOMMANDS:") { inList = true; continue }
            guard inList else { continue }
            if line.isEmpty || !line.hasPrefix(" ") { if !names.isEmpty { break } else { continue } }
            if let first = line.split(separator: " ").first { names.insert(String(first)) }
        }
        return names
    }
}

/// stdout and stderr of a child, collected in unlinked temporary files (not pipes) so that a chatty
/// child can never block on a full pipe and no reader threads are needed.
public struct OutputCapture {
    public let stdout: FileHandle
    public let stderr: FileHandle

    public init() throws {
        stdout = try Self.anonymousFile()
        stderr = try Self.anonymousFile()
    }

    static func anonymousFile() throws -> FileHandle {
        var template = Array((NSTemporaryDirectory() + "ckpt-test-out-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }

    static func text(_ handle: FileHandle) -> String {
        handle.seek(toFileOffset: 0)
        return String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
    }

    /// The result of `process`, which has ended.
    public func result(of process: Process, arguments: [String], timedOut: Bool) -> CommandResult {
        let signaled = process.terminationReason == .uncaughtSignal
        return CommandResult(arguments: arguments,
                             exitCode: signaled || timedOut ? nil : process.terminationStatus,
                             signal: signaled && !timedOut ? process.terminationStatus : nil,
                             timedOut: timedOut, stdout: Self.text(stdout), stderr: Self.text(stderr))
    }
}
