import CkptKit
import CkptTestSupport
import Foundation
import XCTest

/// `ckpt preprocess`, `ckpt embed --image` and `ckpt verify --golden` on image cases, run as a process
/// against transformers' committed outputs (golden/images, golden/forward/tiny-images-*).
final class ImageCommandTests: XCTestCase {
    var root: String { PackagePaths.golden }
    var inputs: String { root + "/images/inputs" }
    var radDino: String { root + "/images/configs/rad-dino.json" }
    var tinyImages: String { root + "/forward/tiny-images-hf" }
    var tinyImageFiles: [String] { ["camera.png", "rocket.jpg", "gray16.png"].map { inputs + "/" + $0 } }

    func temporary() throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory("ckpt-images")
        addTeardownBlock { _ = dir }
        return dir
    }

    /// The float32 bytes of `pixel_values` in a safetensors file.
    func pixelBytes(_ path: String, _ name: String = "pixel_values") throws -> (shape: [Int], bytes: [UInt8]) {
        let t = try XCTUnwrap(try Checkpoint.open(path)[name], "\(path): no \(name)")
        return (t.shape, try t.contiguousBytes())
    }

    /// The `images` metadata of a file written from images.
    func sources(_ path: String) throws -> [ImageSource] {
        let metadata = try SafetensorsFile(path: path).metadata ?? []
        let text = try XCTUnwrap(metadata.first { $0.0 == ImageInputs.metadataKey }?.1, "\(path): no images metadata")
        return try XCTUnwrap(ImageInputs.sources(fromMetadataValue: text))
    }

    // MARK: - preprocess

    /// transformers' pixel_values for golden image cases, bit for bit, including RAD-DINO's own config
    /// on an 8-bit photo and a 16-bit gray PNG; the inline configs of other cases go through a file.
    func testPreprocessEqualsTransformersBitForBit() throws {
        let tmp = try temporary()
        let catalog = try StrictJSONParser.parse(FileSystem.readSmallFile(root + "/images/images.json"))
        let wanted = ["rgba16-base", "rocket-dinov2-base", "pal4-trns-base", "jpeg-cmyk-base", "rgb8-adam7-base", "jpeg-progressive-base",
                      "camera-r2-se37-crop28", "gray8-noresize-crop40x50-pad"]
        var checked = 0
        for (name, config) in [("camera-rad-dino", radDino), ("gray16-rad-dino", radDino)] + wanted.map({ ($0, "") }) {
            let record = try XCTUnwrap(catalog["cases"]?.arrayValue?.first {
                $0["name"]?.stringValue == name && $0["backend"]?.stringValue == "pil"
            }, "no case \(name)")
            XCTAssertEqual(record["dtype"]?.stringValue, "float32", name)
            var configPath = config
            if configPath.isEmpty {
                configPath = try tmp.write(name + ".json", Array(JSONWriter.compact(try XCTUnwrap(record["config"])).utf8))
            }
            let image = root + "/images/" + (try XCTUnwrap(record["image"]?.stringValue))
            let out = tmp.file(name + ".safetensors")
            let r = try CkptProcess.run(["preprocess", image, "--preprocessor", configPath, "-o", out])
            XCTAssertEqual(r.status, 0, r.summary)
            let ours = try pixelBytes(out)
            let theirs = try pixelBytes(root + "/images/" + (try XCTUnwrap(record["pixels"]?.stringValue)))
            XCTAssertEqual(ours.shape, theirs.shape, name)
            XCTAssertTrue(ours.bytes == theirs.bytes, "\(name): pixel_values differ from transformers'")
            checked += 1
        }
        XCTAssertEqual(checked, 10)
    }

    /// Several images: one row each, in the order given, with their SHA-256 in the metadata; the same
    /// rows as the golden case's batch.
    func testPreprocessBatchOrderAndMetadata() throws {
        let tmp = try temporary()
        let config = tinyImages + "/preprocessor_config.json"
        let out = tmp.file("batch.safetensors")
        let r = try CkptProcess.run(["preprocess"] + tinyImageFiles + ["--preprocessor", config, "--output", out])
        XCTAssertEqual(r.status, 0, r.summary)
        let ours = try pixelBytes(out), theirs = try pixelBytes(tinyImages + "/pixels.safetensors")
        XCTAssertEqual(ours.shape, [3, 3, 28, 28])
        XCTAssertTrue(ours.bytes == theirs.bytes, "batch rows differ from the golden case's pixel_values")
        let golden = try StrictJSONParser.parse(FileSystem.readSmallFile(tinyImages + "/golden.json"))
        let shas = try XCTUnwrap(golden["images"]?["sha256"]?.arrayValue?.compactMap(\.stringValue))
        XCTAssertEqual(try sources(out), zip(tinyImageFiles, shas).map { ImageSource(path: $0, sha256: $1) })

        // Reversed order: reversed rows.
        let reversed = tmp.file("reversed.safetensors")
        XCTAssertEqual(try CkptProcess.run(["preprocess"] + tinyImageFiles.reversed() + ["--preprocessor", config, "-o", reversed]).status, 0)
        let row = 3 * 28 * 28 * 4
        let rows = try pixelBytes(reversed).bytes
        for i in 0..<3 {
            XCTAssertTrue(rows[(2 - i) * row..<(3 - i) * row].elementsEqual(theirs.bytes[i * row..<(i + 1) * row]), "row \(i)")
        }
    }

    /// Images that lose information in the conversion to RGB say so on stderr; lossless ones do not.
    func testNotesForLossyConversions() throws {
        let tmp = try temporary()
        for (file, words) in [("gray16.png", "16-bit grayscale"), ("rgba8.png", "composited onto white"),
                              ("jpeg-cmyk.jpg", "CMYK"), ("camera.png", "")] {
            let out = tmp.file(file + ".safetensors")
            let r = try CkptProcess.run(["preprocess", inputs + "/" + file, "--preprocessor", radDino, "-o", out])
            XCTAssertEqual(r.status, 0, r.summary)
            if words.isEmpty {
                XCTAssertFalse(r.stderr.contains("note:"), "\(file): \(r.stderr)")
            } else {
                XCTAssertTrue(r.stderr.contains("note: \(inputs)/\(file): ") && r.stderr.contains(words), "\(file): \(r.stderr)")
            }
        }
    }

    func testImagesOfDifferentSizesAreRefused() throws {
        let tmp = try temporary()
        let config = try tmp.write("nocrop.json", Array(#"{"do_center_crop": false, "size": {"shortest_edge": 20}}"#.utf8))
        let out = tmp.file("out.safetensors")
        let r = try CkptProcess.run(["preprocess", inputs + "/camera.png", inputs + "/rgb8.png", "--preprocessor", config, "-o", out])
        XCTAssertEqual(r.status, 2, r.summary)
        XCTAssertTrue(r.stderr.contains("\(inputs)/rgb8.png") && r.stderr.contains("\(inputs)/camera.png gives"), r.stderr)
        XCTAssertEqual(try tmp.contents(), ["nocrop.json"])
    }

    // MARK: - embed --image

    /// Images in, embeddings out: the golden case's expected outputs within its tolerance, the same
    /// bytes for any batch size, --image-list equal to --image, --save-pixels equal to preprocess.
    func testEmbedImagesMatchesGoldenCase() throws {
        let tmp = try temporary()
        let model = root + "/models/tiny/hf", config = tinyImages + "/preprocessor_config.json"
        let golden = try StrictJSONParser.parse(FileSystem.readSmallFile(tinyImages + "/golden.json"))
        let atol = try XCTUnwrap(golden["tolerance"]?["atol"]?.doubleValue), rtol = try XCTUnwrap(golden["tolerance"]?["rtol"]?.doubleValue)

        var outputs: [[UInt8]] = []  // whole files, for --batch 1 then 3
        for batch in ["1", "3"] {
            let out = tmp.file("b\(batch).safetensors"), pixels = tmp.file("b\(batch)-pixels.safetensors")
            let r = try CkptProcess.run(["embed", model, "--image"] + tinyImageFiles + [
                "--preprocessor", config, "--batch", batch, "--save-pixels", pixels, "-o", out, "--threads", "1"])
            XCTAssertEqual(r.status, 0, r.summary)
            XCTAssertTrue(r.stderr.contains("note: \(inputs)/gray16.png"), r.stderr)
            let written = try Checkpoint.open(out), expected = try Checkpoint.open(tinyImages + "/expected.safetensors")
            for ref in expected.tensors {
                let got = try XCTUnwrap(written[ref.name], ref.name)
                XCTAssertEqual(got.shape, ref.shape, ref.name)
                let bad = zip(try got.floatValues(), try ref.floatValues()).filter { !(abs(Double($0) - Double($1)) <= atol + rtol * abs(Double($1))) }.count
                XCTAssertEqual(bad, 0, "--batch \(batch): \(ref.name) has \(bad) values out of tolerance")
            }
            XCTAssertEqual(try sources(out).map(\.path), tinyImageFiles)
            XCTAssertEqual(try pixelBytes(pixels).bytes, try pixelBytes(tinyImages + "/pixels.safetensors").bytes, "--save-pixels")
            XCTAssertEqual(try sources(pixels), try sources(out))
            outputs.append(try readBytes(out))
        }
        // The forward pass is not batch-invariant to the last bit (OpenBLAS picks kernels by matrix size:
        // --batch 1 and --batch 3 differ by up to 7e-7 here, inside the tolerance checked above). What the
        // batching must not change is the assembly: --batch 3 equals `--pixels` on the same three rows
        // byte for byte, and each --batch 1 row equals that image embedded on its own.
        let fromPixels = tmp.file("pixels-run.safetensors")
        XCTAssertEqual(try CkptProcess.run(["embed", model, "--pixels", tinyImages + "/pixels.safetensors", "-o", fromPixels, "--threads", "1"]).status, 0)
        for name in ["pooler_output", "last_hidden_state"] {
            XCTAssertEqual(try pixelBytes(tmp.file("b3.safetensors"), name).bytes, try pixelBytes(fromPixels, name).bytes, "--batch 3 vs --pixels: \(name)")
        }
        var rows: [String: [UInt8]] = [:]
        for file in tinyImageFiles {
            let single = tmp.file("single-" + FileSystem.baseName(file) + ".safetensors")
            let r = try CkptProcess.run(["embed", model, "--image", file, "--preprocessor", config, "-o", single, "--threads", "1"])
            XCTAssertEqual(r.status, 0, r.summary)
            for name in ["pooler_output", "last_hidden_state"] { rows[name, default: []] += try pixelBytes(single, name).bytes }
        }
        for name in ["pooler_output", "last_hidden_state"] {
            XCTAssertEqual(try pixelBytes(tmp.file("b1.safetensors"), name).bytes, rows[name], "--batch 1 rows vs one image at a time: \(name)")
        }

        let list = try tmp.write("list.txt", Array(("# the golden case's images\n" + tinyImageFiles.joined(separator: "\n") + "\n").utf8))
        let fromList = tmp.file("list.safetensors")
        let r = try CkptProcess.run(["embed", model, "--image-list", list, "--preprocessor", config, "--batch", "2",
                                     "--output", fromList, "--threads", "1"])
        XCTAssertEqual(r.status, 0, r.summary)
        XCTAssertEqual(try sources(fromList), try sources(tmp.file("b1.safetensors")), "--image-list")
        XCTAssertEqual(try Checkpoint.open(fromList).names, try Checkpoint.open(tmp.file("b1.safetensors")).names)
        let listAgain = tmp.file("list-b1.safetensors")
        XCTAssertEqual(try CkptProcess.run(["embed", model, "--image-list", list, "--preprocessor", config, "--batch", "1",
                                            "-o", listAgain, "--threads", "1"]).status, 0)
        XCTAssertTrue(try readBytes(listAgain) == outputs[0], "--image-list output differs from --image (both --batch 1)")
        XCTAssertEqual(try tmp.contents().filter { $0.contains(".ckpt-partial-") }, [], "scratch file left behind")
    }

    func testEmbedImageUsageErrors() throws {
        let tmp = try temporary()
        let out = tmp.file("out.safetensors")
        let model = root + "/models/tiny/hf", image = inputs + "/camera.png"
        let cases: [([String], String)] = [
            (["embed", model, "--image", image, "-o", out], "--preprocessor"),
            (["embed", model, "--image", image, "--pixels", tinyImages + "/pixels.safetensors", "-o", out], "exactly one"),
            (["embed", model, "-o", out], "exactly one"),
            (["embed", model, "--image", image, "--preprocessor", radDino, "--batch", "0", "-o", out], "--batch"),
            (["preprocess", image, "--preprocessor", radDino, "--max-image-pixels", "0", "-o", out], "--max-image-pixels"),
            (["preprocess", "--preprocessor", radDino, "-o", out], "IMAGE"),
        ]
        for (args, words) in cases {
            let r = try CkptProcess.run(args)
            XCTAssertEqual(r.status, 64, r.summary)
            XCTAssertTrue(r.stderr.contains(words), "\(args): \(r.stderr)")
        }
        XCTAssertEqual(try tmp.contents(), [])
    }

    // MARK: - bad images

    /// Every bad image exits 2 naming the file, and leaves nothing behind.
    func testBadImagesExit2AndWriteNothing() throws {
        let tmp = try temporary()
        let png = try readBytes(inputs + "/rgb8.png")
        var crc = png
        crc[29] ^= 0xFF  // IHDR's CRC (8-byte signature, length, type, 13 data bytes, then the CRC)
        let bad: [(String, [UInt8], String)] = [
            ("truncated.png", Array(png.prefix(png.count / 2)), "truncated"),
            ("crc.png", crc, "CRC"),
            ("empty.png", [], "empty"),
            ("notes.png", Array("just some text\n".utf8), "not an image"),
            ("scan.tif", [0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0] + [UInt8](repeating: 0, count: 64), "TIFF"),
        ]
        let out = tmp.file("out.safetensors")
        var runs: [(String, [String], String)] = bad.map { name, bytes, words in
            (name, ["preprocess", (try? tmp.write(name, bytes)) ?? name, "--preprocessor", radDino, "-o", out], words)
        }
        runs.append(("camera.png", ["preprocess", inputs + "/camera.png", "--preprocessor", radDino, "--max-image-pixels", "1000", "-o", out], "--max-image-pixels"))
        runs.append(("missing.png", ["preprocess", tmp.file("missing.png"), "--preprocessor", radDino, "-o", out], "missing.png"))
        runs.append(("crc.png", ["embed", root + "/models/tiny/hf", "--image", inputs + "/camera.png", tmp.file("crc.png"),
                                 "--preprocessor", radDino, "--batch", "1", "-o", out], "CRC"))
        // Image lists, and configs whose pixel_values the backbone cannot take.
        let model = root + "/models/tiny/hf"
        for (name, bytes, words) in [("comments.txt", Array("# nothing here\n\n".utf8), "image list names no image"),
                                     ("latin1.txt", [0x63, 0xE9, 0x2E, 0x70, 0x6E, 0x67, 0x0A], "image list is not UTF-8 text")] {
            runs.append((name, ["embed", model, "--image-list", try tmp.write(name, bytes), "--preprocessor", radDino, "-o", out], words))
        }
        // RAD-DINO's config with other flags and a square size: an 8-bit gray image without
        // do_convert_rgb stays one channel (as transformers keeps it); a 10 px crop is under a patch.
        let radDinoConfig = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(readBytes(radDino))) as? [String: Any])
        let variants: [(config: String, rgb: Bool, side: Int, image: String, words: String)] = [
            ("gray.json", false, 28, "gray8.png", "the preprocessor config gives 1-channel pixel_values; the backbone needs 3"),
            ("tiny.json", true, 10, "camera.png", "image 10×10 is smaller than one 14×14 patch"),
        ]
        for v in variants {
            var config = radDinoConfig
            config["do_convert_rgb"] = v.rgb
            config["do_normalize"] = v.rgb  // normalising a kept gray image is what transformers refuses
            config["size"] = ["shortest_edge": v.side]
            config["crop_size"] = ["height": v.side, "width": v.side]
            let path = try tmp.write(v.config, Array(try JSONSerialization.data(withJSONObject: config)))
            runs.append((v.image, ["embed", model, "--image", inputs + "/" + v.image, "--preprocessor", path, "-o", out], v.words))
        }
        let before = Set(try tmp.contents())
        for (name, args, words) in runs {
            let r = try CkptProcess.run(args)
            XCTAssertEqual(r.status, 2, r.summary)
            XCTAssertTrue(r.stderr.contains("ckpt: error: ") && r.stderr.contains(name) && r.stderr.contains(words), "\(name): \(r.stderr)")
            XCTAssertEqual(Set(try tmp.contents()), before, "\(name): a file was left behind")
        }
        // The limit itself is in the bomb message.
        let bomb = try CkptProcess.run(["preprocess", inputs + "/camera.png", "--preprocessor", radDino, "--max-image-pixels", "1000", "-o", out])
        XCTAssertTrue(bomb.stderr.contains("1000"), bomb.stderr)
    }

    /// A named pipe given as an image is refused like `inspect` refuses it, without waiting for a writer
    /// (it hung: CkptImage opened files without O_NONBLOCK).
    func testFIFOImageIsRefusedWithoutHanging() throws {
        let tmp = try temporary()
        let pipe = tmp.file("pipe.png")
        XCTAssertEqual(mkfifo(pipe, 0o644), 0)
        for arguments in [["preprocess", pipe, "--preprocessor", radDino, "-o", tmp.file("px.safetensors")],
                          ["embed", root + "/models/tiny/hf", "--image", pipe, "--preprocessor",
                           tinyImages + "/preprocessor_config.json", "-o", tmp.file("emb.safetensors")]] {
            let r = try CkptProcess.run(arguments, timeout: 30)
            XCTAssertFalse(r.timedOut, "hang: \(r.summary)")
            XCTAssertEqual(r.status, 2, r.summary)
            XCTAssertEqual(r.stderr, "ckpt: error: \(pipe): not a regular file\n", r.summary)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("px.safetensors")))
    }

    /// A preprocessor config with a key given twice: Python keeps the last value, so ckpt refuses to pick.
    func testDuplicateConfigKeyIsRefused() throws {
        let tmp = try temporary()
        let config = try tmp.write("dup.json", Array(#"{"do_normalize": true, "do_normalize": false}"#.utf8))
        let r = try CkptProcess.run(["preprocess", inputs + "/camera.png", "--preprocessor", config,
                                     "-o", tmp.file("px.safetensors")])
        XCTAssertEqual(r.status, 2, r.summary)
        XCTAssertTrue(r.stderr.contains("\(config): key \"do_normalize\" is given twice"), r.summary)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("px.safetensors")))
    }

    func testExistingOutputIsRefusedWithoutForce() throws {
        let tmp = try temporary()
        let out = try tmp.write("out.safetensors", Array("keep me".utf8))
        for args in [["preprocess", inputs + "/camera.png", "--preprocessor", radDino, "-o", out],
                     ["embed", root + "/models/tiny/hf", "--image", inputs + "/camera.png", "--preprocessor", radDino, "-o", out]] {
            let r = try CkptProcess.run(args)
            XCTAssertEqual(r.status, 2, r.summary)
            XCTAssertTrue(r.stderr.contains("out.safetensors") && r.stderr.contains("--force"), r.stderr)
            XCTAssertEqual(try readBytes(out), Array("keep me".utf8))
        }
        XCTAssertEqual(try CkptProcess.run(["preprocess", inputs + "/camera.png", "--preprocessor", radDino, "-o", out, "--force"]).status, 0)
    }

    // MARK: - verify --golden on image cases

    func testVerifyGoldenImageCasesPass() throws {
        for (name, weights) in [("tiny-images-hf", "models/tiny/hf"), ("tiny-images-dinov2", "models/tiny/dinov2.safetensors")] {
            let r = try CkptProcess.run(["verify", root + "/" + weights, "--golden", root + "/forward/" + name])
            XCTAssertEqual(r.status, 0, r.summary + r.stdout)
            XCTAssertTrue(r.stdout.contains("bit-identical"), r.stdout)
        }
    }

    /// A copy of the case with one image changed: refused for its SHA-256; with the new SHA-256 recorded,
    /// the pixel comparison fails and says by how much.
    func testVerifyGoldenImageCaseDetectsChangedImage() throws {
        let tmp = try temporary()
        let caseDir = tmp.path + "/forward/tiny-images-hf"
        try FileManager.default.createDirectory(atPath: caseDir, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: tmp.path + "/images/inputs", withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: tinyImages) {
            try FileManager.default.copyItem(atPath: tinyImages + "/" + file, toPath: caseDir + "/" + file)
        }
        for file in tinyImageFiles { try FileManager.default.copyItem(atPath: file, toPath: tmp.path + "/images/inputs/" + FileSystem.baseName(file)) }
        let weights = root + "/models/tiny/hf"
        XCTAssertEqual(try CkptProcess.run(["verify", weights, "--golden", caseDir]).status, 0, "the unchanged copy must pass")

        // Another image under camera.png's name.
        let camera = tmp.path + "/images/inputs/camera.png"
        try FileManager.default.removeItem(atPath: camera)
        try FileManager.default.copyItem(atPath: inputs + "/rgb8.png", toPath: camera)
        let refused = try CkptProcess.run(["verify", weights, "--golden", caseDir])
        XCTAssertEqual(refused.status, 2, refused.summary)
        XCTAssertTrue(refused.stderr.contains("camera.png") && refused.stderr.contains("SHA-256"), refused.stderr)

        let oldSHA = "b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a"
        let newSHA = try XCTUnwrap(try sources(inputsOf: camera).first?.sha256)
        let json = try String(contentsOfFile: caseDir + "/golden.json", encoding: .utf8)
        try json.replacingOccurrences(of: oldSHA, with: newSHA).write(toFile: caseDir + "/golden.json", atomically: true, encoding: .utf8)
        let failed = try CkptProcess.run(["verify", weights, "--golden", caseDir])
        XCTAssertEqual(failed.status, 1, failed.summary + failed.stdout)
        XCTAssertTrue(failed.stdout.contains("pixel_values") && failed.stdout.contains("values differ (max abs"), failed.stdout)
    }

    /// The SHA-256 ckpt records for `image`, through `ckpt preprocess`.
    func sources(inputsOf image: String) throws -> [ImageSource] {
        let tmp = try temporary()
        let out = tmp.file("sha.safetensors")
        XCTAssertEqual(try CkptProcess.run(["preprocess", image, "--preprocessor", radDino, "-o", out]).status, 0)
        return try sources(out)
    }
}
