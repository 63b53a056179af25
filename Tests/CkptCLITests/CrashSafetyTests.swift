import CkptTestSupport
import CkptKit
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Interrupted and failing writes: a conversion killed at any moment, a full disk, a file-size
/// limit or an unwritable destination never leaves a file at the destination, and whatever temporary
/// file is left is recognisable (`.<name>.ckpt-partial-<pid>-<hex>`) and never read as a checkpoint.
final class CrashSafetyTests: XCTestCase {
    /// The ViT-B-sized source, generated once per test run.
    nonisolated(unsafe) static var shared: TemporaryFolder?

    static func vitB() throws -> String {
        if shared == nil {
            let folder = try TemporaryFolder("crash-source")
            try GeneratedCheckpoints.write(GeneratedCheckpoints.vitBShapes(), to: folder.file("vitb.safetensors"))
            shared = folder
        }
        return shared!.file("vitb.safetensors")
    }

    override class func tearDown() {
        shared?.remove()
        shared = nil
    }

    /// A leftover temporary name for destination `name` written by process `pid`.
    static func isPartial(_ file: String, of name: String, pid: Int32?) -> Bool {
        let prefix = "." + name + AtomicOutput.partialMarker
        guard file.hasPrefix(prefix) else { return false }
        let parts = file.dropFirst(prefix.count).split(separator: "-")
        guard parts.count == 2, let p = Int32(parts[0]), parts[1].allSatisfy(\.isHexDigit) else { return false }
        return pid == nil || p == pid
    }

    // MARK: - SIGKILL

    /// Kills `convert safetensors` (plain copy and F16 cast) at random moments: afterwards either no
    /// destination exists, or one byte-identical to an uninterrupted run; any other file is a
    /// leftover temporary that a folder open ignores, and a rerun without --force succeeds.
    func testSIGKILLAtRandomPointsNeverLeavesAPartialDestination() throws {
        let source = try Self.vitB()
        for (label, extra) in [("copy", [String]()), ("cast to F16", ["--dtype", "f16"])] {
            let reference = try TemporaryFolder("crash-reference")
            defer { reference.remove() }
            let started = Date()
            let full = try CkptProcess.run(["convert", "safetensors", source, "-o", reference.file("model.safetensors")] + extra,
                                           timeout: 900)
            let duration = Date().timeIntervalSince(started)
            XCTAssertEqual(full.exitCode, 0, "uninterrupted \(label): \(full.summary)")
            var outcomes: [String] = []
            for trial in 0..<4 {
                let delay = Double.random(in: 0...(duration * 1.1))
                let work = try TemporaryFolder("crash-kill")
                defer { work.remove() }
                let capture = try OutputCapture()
                let process = try CkptProcess.start(["convert", "safetensors", source, "-o", work.file("model.safetensors")] + extra,
                                                    stdout: capture.stdout, stderr: capture.stderr)
                let pid = process.processIdentifier
                usleep(useconds_t(delay * 1_000_000))
                kill(pid, SIGKILL)
                process.waitUntilExit()
                let context = "\(label), trial \(trial), SIGKILL after \(String(format: "%.3f", delay)) s of ~\(String(format: "%.3f", duration)) s"
                let names = try work.contents()
                let finished = names.contains("model.safetensors")
                if finished {
                    XCTAssertTrue(try GeneratedCheckpoints.identical(work.file("model.safetensors"), reference.file("model.safetensors")),
                                  "\(context): the destination exists but differs from a complete run")
                }
                for name in names where name != "model.safetensors" {
                    XCTAssertTrue(Self.isPartial(name, of: "model.safetensors", pid: pid), "\(context): unexpected file \(name)")
                }
                outcomes.append("\(String(format: "%.2f", delay)) s: " + (finished ? "complete" : names.isEmpty ? "nothing" : "temporary file only"))
                guard !finished else { continue }
                // A leftover temporary is not a checkpoint: the folder has no model in it...
                let inspect = try CkptProcess.run(["inspect", work.path], timeout: 120)
                XCTAssertEqual(inspect.exitCode, 2, "\(context): \(inspect.summary)")
                XCTAssertTrue(inspect.stderr.contains("no model.safetensors"), "\(context): \(inspect.summary)")
                // ...and it does not stand in the way of the next conversion (checked on the fast
                // copy path only: the debug-build F16 cast of 346 MB takes half a minute).
                guard extra.isEmpty else { continue }
                let rerun = try CkptProcess.run(["convert", "safetensors", source, "-o", work.file("model.safetensors")] + extra,
                                                timeout: 900)
                XCTAssertEqual(rerun.exitCode, 0, "\(context): rerun: \(rerun.summary)")
                XCTAssertTrue(try GeneratedCheckpoints.identical(work.file("model.safetensors"), reference.file("model.safetensors")),
                              "\(context): the rerun differs from a complete run")
            }
            print("CrashSafetyTests \(label): \(outcomes.joined(separator: "; "))")
        }
    }

    // MARK: - Full disk, file-size limit, unwritable destinations

    /// RLIMIT_FSIZE of 1 MiB (`ulimit -f 2048` counts 512-byte blocks): the write fails with EFBIG,
    /// ckpt reports it and removes its temporary file.
    func testFileSizeLimitGivesAClearErrorAndNoFile() throws {
        let source = try Self.vitB()
        let work = try TemporaryFolder("crash-fsize")
        defer { work.remove() }
        for extra in [[String](), ["--dtype", "f16"]] {
            let result = try CkptProcess.run(["convert", "safetensors", source, "-o", work.file("model.safetensors")] + extra,
                                             wrapper: ["/bin/sh", "-c", "ulimit -f 2048 && exec \"$0\" \"$@\""], timeout: 600)
            XCTAssertEqual(result.exitCode, 2, result.summary)
            XCTAssertTrue(result.stderr.contains("File too large"), result.summary)
            XCTAssertEqual(try work.contents(), [], "files left after: \(result.summary)")
        }
    }

    /// A 4 MiB tmpfs fills up: ENOSPC is reported and nothing is left. Needs permission to mount
    /// (root in a container); skipped otherwise, the file-size-limit test covers the same path.
    func testFullDiskGivesAClearErrorAndNoFile() throws {
        let source = try Self.vitB()
        let work = try TemporaryFolder("crash-full")
        defer { work.remove() }
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=4m", "tmpfs", work.path]
        mount.standardError = FileHandle.nullDevice
        try mount.run()
        mount.waitUntilExit()
        guard mount.terminationStatus == 0 else { throw XCTSkip("cannot mount a tmpfs here (not root?)") }
        defer { _ = umount2(work.path, Int32(MNT_DETACH)) }
        for extra in [[String](), ["--dtype", "f16"]] {
            let result = try CkptProcess.run(["convert", "safetensors", source, "-o", work.file("model.safetensors")] + extra,
                                             timeout: 600)
            XCTAssertEqual(result.exitCode, 2, result.summary)
            XCTAssertTrue(result.stderr.contains("No space left on device"), result.summary)
            XCTAssertEqual(try work.contents(), [], "files left after: \(result.summary)")
        }
    }

    /// Destinations that cannot be written, each with the words its message must contain.
    /// Tests run as root in CI containers, where permission bits do not stop writes: /proc (no
    /// regular files can be created) and a parent that is a file work for everyone; a read-only
    /// folder is tested with chmod when not root.
    func testUnwritableDestinationsGiveAClearErrorAndNoFile() throws {
        let source = try Self.vitB()
        let work = try TemporaryFolder("crash-unwritable")
        defer { work.remove() }
        FileManager.default.createFile(atPath: work.file("a-file"), contents: Data("x".utf8))
        var destinations: [(String, String)] = [
            ("/proc/ckpt-test-\(getpid()).safetensors", "/proc/"),
            (work.file("a-file/model.safetensors"), "Not a directory"),
            (work.file("missing-folder/model.safetensors"), "No such file or directory"),
        ]
        if geteuid() != 0 {
            try FileManager.default.createDirectory(atPath: work.file("read-only"), withIntermediateDirectories: false)
            chmod(work.file("read-only"), 0o555)
            destinations.append((work.file("read-only/model.safetensors"), "Permission denied"))
        }
        for (destination, words) in destinations {
            let result = try CkptProcess.run(["convert", "safetensors", source, "-o", destination], timeout: 120)
            XCTAssertEqual(result.exitCode, 2, result.summary)
            XCTAssertTrue(result.stderr.contains(words), "message should contain \"\(words)\": \(result.summary)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: destination), result.summary)
        }
        chmod(work.file("read-only"), 0o755)
        XCTAssertEqual(try work.contents().filter { $0 != "read-only" }, ["a-file"])
    }

    // MARK: - Input changing during a conversion

    /// Truncates (or rewrites in place) the source once the conversion has started writing: the
    /// result is an error naming the change, never a signal, and no destination. If the conversion
    /// wins the race the output must be complete; the outcome of each trial is printed.
    func testSourceChangingDuringConversionIsAnErrorNotACrash() throws {
        let work = try TemporaryFolder("crash-shrink")
        defer { work.remove() }
        var outcomes: [String] = []
        var changedSeen = 0
        for trial in 0..<4 {
            let source = work.file("source.safetensors")
            try? FileManager.default.removeItem(atPath: source)
            try GeneratedCheckpoints.write(GeneratedCheckpoints.vitBShapes(depth: 4), to: source)
            let size = try MappedFile(path: source).size
            let out = try TemporaryFolder("crash-shrink-out")
            defer { out.remove() }
            let shrink = trial % 2 == 0
            let extra = trial < 2 ? ["--dtype", "f16"] : []
            let capture = try OutputCapture()
            let process = try CkptProcess.start(["convert", "safetensors", source, "-o", out.file("model.safetensors")] + extra,
                                                stdout: capture.stdout, stderr: capture.stderr)
            // Wait until the output's temporary file exists: the source is open and being copied.
            let deadline = Date().addingTimeInterval(300)
            while process.isRunning, Date() < deadline, (try out.contents()).isEmpty { usleep(500) }
            if shrink {
                XCTAssertEqual(truncate(source, off_t(size / 2)), 0)
            } else {
                let fd = open(source, O_WRONLY)
                XCTAssertEqual(pwrite(fd, [UInt8](repeating: 0x5A, count: 4096), 4096, off_t(size - 4096)), 4096)
                close(fd)
            }
            XCTAssertTrue(CkptProcess.wait(process, timeout: 600), "trial \(trial) hung")
            let result = capture.result(of: process, arguments: ["convert", "safetensors"] + extra, timedOut: false)
            let context = "trial \(trial) (\(shrink ? "truncated" : "rewritten in place"), \(extra.isEmpty ? "copy" : "F16 cast")): \(result.summary)"
            XCTAssertNil(result.signal, "crash: \(context)")
            if result.exitCode == 0 {
                outcomes.append("finished first")
                XCTAssertEqual(try out.contents(), ["model.safetensors"], context)
            } else {
                changedSeen += 1
                outcomes.append("error")
                XCTAssertEqual(result.exitCode, 2, context)
                XCTAssertTrue(result.stderr.contains(shrink ? "\(source) changed size while being read" : "changed while it was being read"), context)
                XCTAssertEqual(try out.contents(), [], "files left: \(context)")
            }
        }
        print("CrashSafetyTests source changes: \(outcomes.joined(separator: ", ")) (\(changedSeen) of 4 caught mid-conversion)")
    }

    // MARK: - Paths

    /// The output may not be the input under any spelling: the same path, `./`, a symlink, a hard
    /// link, or a shard of the folder being read — even with --force. The input stays untouched.
    func testOutputThatIsTheInputIsRefused() throws {
        let work = try TemporaryFolder("paths-same")
        defer { work.remove() }
        let model = work.file("model/model.safetensors")
        try FileManager.default.createDirectory(atPath: work.file("model"), withIntermediateDirectories: false)
        try GeneratedCheckpoints.write([("w", [4, 4])], to: model)
        try FileManager.default.createSymbolicLink(atPath: work.file("link.safetensors"), withDestinationPath: model)
        try FileManager.default.linkItem(atPath: model, toPath: work.file("hard.safetensors"))
        let original = try Data(contentsOf: URL(fileURLWithPath: model))
        let spellings: [(String, [String], URL?)] = [
            ("same path", [model, "-o", model], nil),
            ("./ spelling", ["model/model.safetensors", "-o", "./model/../model/./model.safetensors"], work.url),
            ("symlink to the input", [model, "-o", work.file("link.safetensors")], nil),
            ("input through a symlink", [work.file("link.safetensors"), "-o", model], nil),
            ("hard link", [model, "-o", work.file("hard.safetensors")], nil),
            ("the folder's own file", [work.file("model"), "-o", model], nil),
        ]
        for (label, arguments, directory) in spellings {
            for force in [false, true] {
                let result = try CkptProcess.run(["convert", "safetensors"] + arguments + (force ? ["--force"] : []), in: directory, timeout: 120)
                let context = "\(label)\(force ? " --force" : ""): \(result.summary)"
                XCTAssertEqual(result.exitCode, 2, context)
                XCTAssertTrue(result.stderr.contains("output is the input file"), context)
            }
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: model)), original, "the input changed")
        XCTAssertEqual(try work.contents(), ["hard.safetensors", "link.safetensors", "model"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: work.file("model")), ["model.safetensors"])
    }

    /// A destination that is a symlink out of its folder is refused even with --force and the link
    /// target is untouched; a link to a file in the same folder is replaced like any file.
    func testDestinationSymlinkOutOfItsFolderIsRefused() throws {
        let work = try TemporaryFolder("paths-link")
        defer { work.remove() }
        let fm = FileManager.default
        try fm.createDirectory(atPath: work.file("out"), withIntermediateDirectories: false)
        try fm.createDirectory(atPath: work.file("elsewhere"), withIntermediateDirectories: false)
        let source = work.file("source.safetensors")
        try GeneratedCheckpoints.write([("w", [4, 4])], to: source)
        let victim = work.file("elsewhere/victim.txt")
        fm.createFile(atPath: victim, contents: Data("keep me\n".utf8))
        let cases: [(String, String)] = [
            ("existing target outside", "../elsewhere/victim.txt"),
            ("absolute target outside", victim),
            ("dangling target outside", "../elsewhere/missing.safetensors"),
            ("target in a subfolder", "sub/model.safetensors"),
        ]
        for (label, target) in cases {
            let link = work.file("out/model.safetensors")
            try? fm.removeItem(atPath: link)
            try fm.createSymbolicLink(atPath: link, withDestinationPath: target)
            let result = try CkptProcess.run(["convert", "safetensors", source, "-o", link, "--force"], timeout: 120)
            XCTAssertEqual(result.exitCode, 2, "\(label): \(result.summary)")
            XCTAssertTrue(result.stderr.contains("outside the destination folder"), "\(label): \(result.summary)")
            XCTAssertEqual(try fm.destinationOfSymbolicLink(atPath: link), target, "\(label): the link was replaced")
            XCTAssertEqual(try fm.contentsOfDirectory(atPath: work.file("out")), ["model.safetensors"], label)
        }
        XCTAssertEqual(try String(contentsOfFile: victim, encoding: .utf8), "keep me\n")
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: work.file("elsewhere")), ["victim.txt"])

        // Inside the folder: the link itself is replaced by the new file; its target is untouched.
        let link = work.file("out/model.safetensors")
        try fm.removeItem(atPath: link)
        fm.createFile(atPath: work.file("out/other.txt"), contents: Data("other\n".utf8))
        try fm.createSymbolicLink(atPath: link, withDestinationPath: "other.txt")
        let result = try CkptProcess.run(["convert", "safetensors", source, "-o", link, "--force"], timeout: 120)
        XCTAssertEqual(result.exitCode, 0, result.summary)
        XCTAssertFalse(FileSystem.isSymlink(link))
        XCTAssertTrue(try GeneratedCheckpoints.identical(link, source))
        XCTAssertEqual(try String(contentsOfFile: work.file("out/other.txt"), encoding: .utf8), "other\n")
    }
}
