import CkptKit
import CkptTestSupport
import Foundation
import XCTest

/// `ckpt convert safetensors`, run as the built executable.
final class ConvertSafetensorsCommandTests: XCTestCase {
    private var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory("ckpt-convert") }
    override func tearDown() { dir = nil }

    private func convert(_ args: [String]) throws -> CommandResult {
        try CkptProcess.run(["convert", "safetensors"] + args)
    }

    private func assertNoPartialFiles(file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try dir.contents().filter { $0.contains(".ckpt-partial-") }, [], file: file, line: line)
    }

    /// Converting a Python-written file, its zstd form, or a folder gives Python's bytes exactly.
    func testOutputsAreByteIdenticalToPython() throws {
        let single = try XCTUnwrap((try GoldenFile.json("sharded.json") as? [String: Any])?["single"] as? [String: Any])
        let singleFile = try GoldenFile(record: try XCTUnwrap((single["files"] as? [String: [String: Any]])?["model.safetensors"]))
        let mixed = try GoldenFile("mixed.json")
        let cases: [(String, GoldenFile, String)] = [
            ("mixed.safetensors", mixed, "mixed.safetensors"),
            ("mixed.safetensors.zst", mixed, "mixed.safetensors"),
            ("sharded", singleFile, "single/model.safetensors"),
            ("single", singleFile, "single/model.safetensors"),
        ]
        for (input, golden, reference) in cases {
            let out = dir.file(input.replacingOccurrences(of: ".", with: "_") + ".out.safetensors")
            let result = try convert([PackagePaths.goldenSafetensors(input), "-o", out])
            XCTAssertEqual(result.exitCode, 0, "\(input): \(result.stderr)")
            let bytes = golden.tensors.reduce(0) { $0 + $1.end - $1.begin }
            XCTAssertEqual(result.stdout, "wrote \(out): \(golden.tensors.count) tensors, \(InspectReport.grouped(bytes)) bytes of tensor data\n", input)
            XCTAssertEqual(try sha256Hex(file: out), golden.sha256, input)
            try InteropExport.record(out, label: "cli-convert-" + input.replacingOccurrences(of: "/", with: "_"),
                                     expected: try golden.expected(from: PackagePaths.goldenSafetensors(reference)),
                                     metadata: [("format", "pt")])
        }
        try assertNoPartialFiles()
    }

    func testMissingMetadataBecomesFormatPT() throws {
        let out = dir.file("out.safetensors")
        XCTAssertEqual(try convert([PackagePaths.goldenSafetensors("nometa.safetensors"), "-o", out]).exitCode, 0)
        XCTAssertEqual(try sha256Hex(file: out), try GoldenFile("mixed.json").sha256, "nometa + format=pt is mixed")
    }

    /// `--dtype` casts every float tensor as torch's `.to()` does and keeps the others.
    func testDTypeCastsMatchTorch() throws {
        let golden = try GoldenFile("casts.json")
        let source = PackagePaths.goldenSafetensors(golden.file)
        // (--dtype, source tensor, torch's result of casting it)
        let checks: [(String, DType, [(String, String)])] = [
            ("f16", .f16, [("src_f32", "src_f32_to_f16"), ("src_bf16", "src_bf16_to_f16"), ("src_f16", "src_f16")]),
            ("bf16", .bf16, [("src_f32", "src_f32_to_bf16"), ("src_f16", "src_f16_to_bf16"), ("src_bf16", "src_bf16")]),
            ("f32", .f32, [("src_f64", "src_f64_to_f32"), ("src_bf16", "src_bf16_to_f32"), ("src_f32", "src_f32")]),
            ("keep", .f32, [("src_f32", "src_f32"), ("src_f16", "src_f16"), ("src_bf16", "src_bf16"), ("src_f64", "src_f64")]),
        ]
        for (flag, _, pairs) in checks {
            let out = dir.file("casts-\(flag).safetensors")
            let result = try convert([source, "-o", out, "--dtype", flag])
            XCTAssertEqual(result.exitCode, 0, "\(flag): \(result.stderr)")
            let written = try SafetensorsFile(path: out)
            XCTAssertEqual(written.tensors.count, golden.tensors.count, flag)
            for (name, torchName) in pairs {
                let t = try XCTUnwrap(written.info(name), "\(flag): \(name)")
                let want = try XCTUnwrap(golden[torchName])
                XCTAssertEqual(t.dtype.rawValue, want.dtype, "\(flag): \(name)")
                XCTAssertEqual(try written.withBytes(of: t) { sha256Hex($0) }, want.sha256, "\(flag): \(name) differs from torch \(torchName)")
            }
        }
    }

    func testIntegerTensorsAreKeptWhenCasting() throws {
        let out = dir.file("mixed-bf16.safetensors")
        let result = try convert([PackagePaths.goldenSafetensors("mixed.safetensors"), "-o", out, "--dtype", "bf16"])
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        let golden = try GoldenFile("mixed.json")
        let written = try SafetensorsFile(path: out)
        for t in golden.tensors {
            let ours = try XCTUnwrap(written.info(t.name), t.name)
            let castable = ["F16", "BF16", "F32", "F64"].contains(t.dtype)
            XCTAssertEqual(ours.dtype.rawValue, castable ? "BF16" : t.dtype, t.name)
            XCTAssertEqual(ours.shape, t.shape, t.name)
            if !castable { XCTAssertEqual(try written.withBytes(of: ours) { sha256Hex($0) }, t.sha256, t.name) }
        }
    }

    // MARK: - Refusals and exit codes

    func testExistingOutputNeedsForce() throws {
        let out = try dir.write("out.safetensors", [1, 2, 3])
        let input = PackagePaths.goldenSafetensors("mixed.safetensors")
        let refused = try convert([input, "-o", out])
        XCTAssertEqual(refused.exitCode, 2)
        XCTAssertEqual(refused.stderr, "ckpt: error: \(out): output exists (pass --force to overwrite)\n")
        XCTAssertEqual(try readBytes(out), [1, 2, 3])
        let forced = try convert([input, "-o", out, "--force"])
        XCTAssertEqual(forced.exitCode, 0, forced.stderr)
        XCTAssertEqual(try sha256Hex(file: out), try GoldenFile("mixed.json").sha256)
        try assertNoPartialFiles()
    }

    func testOutputIsInputRefusedEvenWithForce() throws {
        let input = dir.file("in.safetensors")
        try FileManager.default.copyItem(atPath: PackagePaths.goldenSafetensors("mixed.safetensors"), toPath: input)
        XCTAssertEqual(link(input, dir.file("hard.safetensors")), 0)
        XCTAssertEqual(symlink(input, dir.file("soft.safetensors")), 0)
        let before = try sha256Hex(file: input)
        for output in [input, "./in.safetensors", dir.file("hard.safetensors"), dir.file("soft.safetensors")] {
            let result = try CkptProcess.run(["convert", "safetensors", "in.safetensors", "-o", output, "--force", "--dtype", "f16"],
                                             currentDirectory: dir.path)
            XCTAssertEqual(result.exitCode, 2, output)
            XCTAssertTrue(result.stderr.contains("output is the input file"), "\(output): \(result.stderr)")
        }
        XCTAssertEqual(try sha256Hex(file: input), before)
        try assertNoPartialFiles()
    }

    func testShardOfTheInputFolderIsProtected() throws {
        let copy = dir.file("sharded")
        try FileManager.default.copyItem(atPath: PackagePaths.goldenSafetensors("sharded"), toPath: copy)
        let shard = copy + "/model-00002-of-00003.safetensors"
        let result = try convert([copy, "-o", shard, "--force"])
        XCTAssertEqual(result.exitCode, 2)
        XCTAssertTrue(result.stderr.contains("output is the input file"), result.stderr)
    }

    /// Files read but not holding tensors are inputs too: the .zst a checkpoint was decompressed from,
    /// a folder's config.json and index.
    func testNonTensorInputsAreProtected() throws {
        let zst = dir.file("mixed.safetensors.zst")
        try FileManager.default.copyItem(atPath: PackagePaths.goldenSafetensors("mixed.safetensors.zst"), toPath: zst)
        let folder = dir.file("sharded")
        try FileManager.default.copyItem(atPath: PackagePaths.goldenSafetensors("sharded"), toPath: folder)
        let cases = [(zst, zst), (folder, folder + "/config.json"), (folder, folder + "/model.safetensors.index.json")]
        for (input, output) in cases {
            let before = try sha256Hex(file: output)
            let result = try convert([input, "-o", output, "--force"])
            XCTAssertEqual(result.exitCode, 2, output)
            XCTAssertEqual(result.stderr, "ckpt: error: \(output): output is the input file (the same file under this name); refusing to overwrite it\n")
            XCTAssertEqual(try sha256Hex(file: output), before, output)
        }
        try assertNoPartialFiles()
    }

    func testUnreadableInputExits2AndWritesNothing() throws {
        let out = dir.file("out.safetensors")
        for input in ["corrupt.safetensors.zst", "truncated.safetensors.zst", "does-not-exist.safetensors"] {
            let result = try convert([PackagePaths.goldenSafetensors(input), "-o", out])
            XCTAssertEqual(result.exitCode, 2, input)
            XCTAssertTrue(result.stderr.hasPrefix("ckpt: error: "), "\(input): \(result.stderr)")
        }
        XCTAssertEqual(try dir.contents(), [])
    }

    func testMissingOutputFolderExits2() throws {
        let result = try convert([PackagePaths.goldenSafetensors("mixed.safetensors"), "-o", dir.path + "/no/such/out.safetensors"])
        XCTAssertEqual(result.exitCode, 2)
        XCTAssertTrue(result.stderr.contains("open output folder failed"), result.stderr)
    }

    func testUsageErrorsExit64() throws {
        let input = PackagePaths.goldenSafetensors("mixed.safetensors")
        let out = dir.file("out.safetensors")
        for args in [[input], [input, "-o", out, "--dtype", "f8"], [input, "-o", out, "--bogus"], ["-o", out]] {
            let result = try convert(args)
            XCTAssertEqual(result.exitCode, 64, "\(args): \(result.stderr)")
        }
        XCTAssertEqual(try dir.contents(), [])
    }
}

/// An interrupted conversion leaves nothing behind: SIGTERM while the output is being written removes
/// the partial file, and nothing appears at the destination.
final class ConvertInterruptTests: XCTestCase {
    func testSIGTERMRemovesThePartialFile() throws {
        let dir = try TemporaryDirectory("ckpt-interrupt")
        // A sparse 1 GiB F32 tensor: cheap on disk, slow enough to cast in a debug build to be caught mid-write.
        let count = 1 << 28
        let header = RawSafetensors.header([("big", "F32", [count], 0, count * 4)])
        let input = try dir.write("in.safetensors", RawSafetensors.bytes(header: header))
        XCTAssertEqual(truncate(input, off_t(8 + header.utf8.count + count * 4)), 0)
        let out = dir.file("out.safetensors")

        let process = Process()
        process.executableURL = URL(fileURLWithPath: CkptProcess.executable)
        process.arguments = ["convert", "safetensors", input, "-o", out, "--dtype", "bf16"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait (up to a minute) until the partial file exists, i.e. writing has started.
        var partial: [String] = []
        for _ in 0..<600 where process.isRunning {
            partial = try dir.contents().filter { $0.contains(AtomicOutput.partialMarker) }
            if !partial.isEmpty { break }
            usleep(100_000)
        }
        XCTAssertEqual(partial.count, 1, "the conversion never started writing (or already finished)")
        process.terminate()  // SIGTERM
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)
        XCTAssertEqual(process.terminationStatus, SIGTERM)
        XCTAssertEqual(try dir.contents(), ["in.safetensors"], "partial file or output left behind")
    }
}
