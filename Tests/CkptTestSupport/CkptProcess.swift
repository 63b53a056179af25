import Foundation

/// The outcome of one run of the `ckpt` executable.
public struct CommandResult {
    public let exitCode: Int32
    public let stdout: String
    public let stderr: String
}

/// Runs the `ckpt` binary that `swift build`/`swift test` put next to the test bundle.
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

    /// Runs `ckpt args…` to completion, capturing both output streams.
    public static func run(_ args: [String], currentDirectory: String? = nil) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = args
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        // Output goes to files rather than pipes: nothing can block on a full pipe, no reader threads.
        let scratch = try TemporaryDirectory("ckpt-run")
        let outPath = scratch.file("stdout"), errPath = scratch.file("stderr")
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        let outData = try Data(contentsOf: URL(fileURLWithPath: outPath))
        let errData = try Data(contentsOf: URL(fileURLWithPath: errPath))
        return CommandResult(exitCode: process.terminationStatus,
                             stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData, as: UTF8.self))
    }
}
