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
    public static let executable: String = {
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
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Drain both pipes before waiting so a large report cannot block the child on a full pipe.
        var outData = Data(), errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return CommandResult(exitCode: process.terminationStatus,
                             stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData, as: UTF8.self))
    }
}
