import CkptTestSupport
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `ckpt` like `CkptProcess`, but for the hostile and crash tests: through an optional
/// wrapper (ulimit), reporting signals, and with a hard
/// time limit: a run still going after `timeout` seconds is SIGKILLed and reported as a hang.
struct GuardedRun {
    /// How a run ended.
    struct Result {
        let arguments: [String]
        /// Exit status, or nil when the process died of a signal or was killed for hanging.
        let exitCode: Int32?
        /// The signal that ended the process (nil for a normal exit).
        let signal: Int32?
        let timedOut: Bool
        let stdout: String
        let stderr: String

        var commandLine: String { "ckpt " + arguments.joined(separator: " ") }
        /// One-line summary for assertion messages.
        var summary: String {
            let how = timedOut ? "hung (killed)" : signal.map { "died of signal \($0)" } ?? "exit \(exitCode!)"
            return "`\(commandLine)` \(how); stderr: \(stderr.trimmingCharacters(in: .whitespacesAndNewlines).prefix(400))"
        }
    }

    /// The built `ckpt` (see `CkptProcess.executable`).
    static var executable: URL { URL(fileURLWithPath: CkptProcess.executable) }

    /// Starts `ckpt arguments…` (optionally through `wrapper`, e.g. `/bin/sh -c 'ulimit …; exec "$0" "$@"'`).
    static func start(_ arguments: [String], in directory: URL? = nil, wrapper: [String] = [],
                      stdout: FileHandle, stderr: FileHandle) throws -> Process {
        let process = Process()
        if wrapper.isEmpty {
            process.executableURL = executable
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: wrapper[0])
            process.arguments = Array(wrapper.dropFirst()) + [executable.path] + arguments
        }
        if let directory { process.currentDirectoryURL = directory }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        return process
    }

    /// Runs to completion or kills it after `timeout` seconds.
    static func run(_ arguments: [String], in directory: URL? = nil, wrapper: [String] = [],
                    timeout: TimeInterval = 120) throws -> Result {
        let capture = try OutputCapture()
        let process = try start(arguments, in: directory, wrapper: wrapper, stdout: capture.stdout, stderr: capture.stderr)
        let timedOut = !wait(process, timeout: timeout)
        if timedOut {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        return capture.result(of: process, arguments: arguments, timedOut: timedOut)
    }

    /// Waits up to `timeout` seconds; false if still running.
    static func wait(_ process: Process, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline { return false }
            usleep(2_000)
        }
        process.waitUntilExit()
        return true
    }

    /// Names of the subcommands `ckpt <parent…> --help` lists, to run only commands this build has.
    static func subcommands(of parent: [String]) throws -> Set<String> {
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

/// stdout and stderr of a child, collected in unlinked temporary files so that a chatty child can
/// never block on a full pipe.
struct OutputCapture {
    let stdout: FileHandle
    let stderr: FileHandle

    init() throws {
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

    func result(of process: Process, arguments: [String], timedOut: Bool) -> GuardedRun.Result {
        let signaled = process.terminationReason == .uncaughtSignal
        return GuardedRun.Result(arguments: arguments,
                                  exitCode: signaled || timedOut ? nil : process.terminationStatus,
                                  signal: signaled && !timedOut ? process.terminationStatus : nil,
                                  timedOut: timedOut, stdout: Self.text(stdout), stderr: Self.text(stderr))
    }
}

/// A fresh temporary folder, removed by `remove()`.
struct TemporaryFolder {
    let url: URL
    var path: String { url.path }

    init(_ label: String) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Every name in the folder, hidden ones included.
    func contents() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: path).sorted() }

    func remove() { try? FileManager.default.removeItem(at: url) }
}
