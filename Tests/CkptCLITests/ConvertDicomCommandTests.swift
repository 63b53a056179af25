import CkptKit
import CkptTestSupport
import Foundation
import XCTest

/// `ckpt convert dicom` run as a process: the PNG holds SimpleITK's pixels for the card recipe
/// (golden/dicom/expected/recipe/files), refusals exit 2 naming the file and write nothing.
final class ConvertDicomCommandTests: XCTestCase {
    var inputs: String { PackagePaths.golden + "/dicom/inputs" }

    func temporary() throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory("ckpt-dicom")
        addTeardownBlock { _ = dir }
        return dir
    }

    func pngPixels(_ path: String) throws -> [UInt8] {
        let image = try ImageDecoder.decode(contentsOf: path)
        XCTAssertEqual(image.mode, .gray, path)
        return try XCTUnwrap(image.nativeSamples)
    }

    func testOneFileGivesSimpleITKsPNGAndNotesTheWindow() throws {
        let tmp = try temporary()
        let r = try CkptProcess.run(["convert", "dicom", inputs + "/rg1_crop.dcm", "-o", tmp.file("rg1.png"),
                                     "--size", "97", "--side", "longer"])
        XCTAssertEqual(r.status, 0, r.summary)
        XCTAssertEqual(r.stdout, "wrote \(tmp.file("rg1.png")): 83×97 8-bit grayscale\n")
        XCTAssertTrue(r.stderr.contains("note: \(inputs)/rg1_crop.dcm: carries a window"), r.stderr)
        XCTAssertEqual(try pngPixels(tmp.file("rg1.png")),
                       try RecipeGolden.pngPixels("files/rg1_crop-97-longer.png").pixels)
        // Again without --force: refused, the file untouched; with --force: rewritten.
        let again = try CkptProcess.run(["convert", "dicom", inputs + "/rg1_crop.dcm", "-o", tmp.file("rg1.png")])
        XCTAssertEqual(again.status, 2, again.summary)
        XCTAssertTrue(again.stderr.contains("rg1.png: output exists"), again.stderr)
        let forced = try CkptProcess.run(["convert", "dicom", inputs + "/rg1_crop.dcm", "-o", tmp.file("rg1.png"), "--force"])
        XCTAssertEqual(forced.status, 0, forced.summary)
        XCTAssertEqual(try ImageDecoder.decode(contentsOf: tmp.file("rg1.png")).width, 518)
    }

    func testManyFilesFromArgumentsAndAList() throws {
        let tmp = try temporary()
        _ = try tmp.write("list.txt", Array("# two files\n\(inputs)/mr_slope.dcm\n\(inputs)/bare_implicit\n".utf8))
        let r = try CkptProcess.run(["convert", "dicom", inputs + "/ct_small.dcm", "--image-list", tmp.file("list.txt"),
                                     "--output-dir", tmp.file("out"), "--size", "97", "--side", "longer"])
        XCTAssertEqual(r.status, 0, r.summary)
        XCTAssertEqual(r.stdout, "wrote 3 PNGs to \(tmp.file("out"))\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.file("out")).sorted(),
                       ["bare_implicit.png", "ct_small.png", "mr_slope.png"])
        for stem in ["bare_implicit", "ct_small", "mr_slope"] {
            XCTAssertEqual(try pngPixels(tmp.file("out/\(stem).png")),
                           try RecipeGolden.pngPixels("files/\(stem)-97-longer.png").pixels, stem)
        }
    }

    func testOneStemTwiceIsRefusedBeforeAnythingIsWritten() throws {
        let tmp = try temporary()
        _ = try tmp.write("ct_small.dcm", try readBytes(inputs + "/ct_small.dcm"))
        let r = try CkptProcess.run(["convert", "dicom", inputs + "/mr_small.dcm", inputs + "/ct_small.dcm",
                                     tmp.file("ct_small.dcm"), "--output-dir", tmp.file("out")])
        XCTAssertEqual(r.status, 2, r.summary)
        XCTAssertTrue(r.stderr.contains("\(tmp.file("ct_small.dcm")): it would be written to"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("out")))
    }

    func testABadFileExitsTwoNamingItAndWritesNothing() throws {
        let tmp = try temporary()
        for (file, expected) in [
            (PackagePaths.golden + "/images/inputs/camera.png", "not a DICOM file"),
            (PackagePaths.root + "/Tests/Corpus/hostile-dicom/unsupported-syntax.dcm", "is not supported"),
        ] {
            let r = try CkptProcess.run(["convert", "dicom", file, "-o", tmp.file("x.png")])
            XCTAssertEqual(r.status, 2, r.summary)
            XCTAssertTrue(r.stderr.hasPrefix("ckpt: error: \(file): ") && r.stderr.contains(expected), r.stderr)
            XCTAssertEqual(try tmp.contents(), [], file)
        }
    }

    func testUsageErrors() throws {
        for args in [["convert", "dicom", inputs + "/ct_small.dcm"],
                     ["convert", "dicom", inputs + "/ct_small.dcm", inputs + "/mr_small.dcm", "-o", "x.png"],
                     ["convert", "dicom", inputs + "/ct_small.dcm", "-o", "x.png", "--size", "0"]] {
            let r = try CkptProcess.run(args)
            XCTAssertEqual(r.status, 64, r.summary)
        }
    }

    /// `preprocess` and `embed --image` take DICOM files by content: the same pixel_values and embeddings as
    /// the recipe's PNG (RAD-DINO's preprocessor config; the tiny test model).
    func testPreprocessAndEmbedTakeDICOMAsItsRecipePNG() throws {
        let tmp = try temporary()
        let dcm = inputs + "/rg1_crop.dcm", png = tmp.file("rg1.png")
        let radDino = PackagePaths.golden + "/images/configs/rad-dino.json"
        let model = PackagePaths.golden + "/models/tiny/hf"
        XCTAssertEqual(try CkptProcess.run(["convert", "dicom", dcm, "-o", png]).status, 0)
        var pixels: [[UInt8]] = [], embeddings: [[UInt8]] = []
        for (tag, image) in [("dcm", dcm), ("png", png)] {
            let px = tmp.file("\(tag)-pixels.safetensors"), emb = tmp.file("\(tag)-embed.safetensors")
            let p = try CkptProcess.run(["preprocess", image, "--preprocessor", radDino, "-o", px])
            XCTAssertEqual(p.status, 0, p.summary)
            let e = try CkptProcess.run(["embed", model, "--image", image, "--preprocessor", radDino, "-o", emb, "--threads", "1"])
            XCTAssertEqual(e.status, 0, e.summary)
            pixels.append(try XCTUnwrap(try Checkpoint.open(px)["pixel_values"]).contiguousBytes())
            let out = try Checkpoint.open(emb)
            embeddings.append(try out.tensors.flatMap { try $0.contiguousBytes() })
        }
        XCTAssertEqual(pixels[0].count, 3 * 518 * 518 * 4)
        XCTAssertEqual(pixels[0], pixels[1], "pixel_values from the DICOM and from its PNG")
        XCTAssertFalse(embeddings[0].isEmpty)
        XCTAssertEqual(embeddings[0], embeddings[1], "embeddings from the DICOM and from its PNG")
    }

    /// `verify --golden` on a case whose images are DICOM files (golden/forward/tiny-dicom-hf): the prepared 8-bit
    /// pixels (SimpleITK's hash), the pixel_values (transformers on SimpleITK's PNG) and the embeddings are checked;
    /// a case recording other prepared pixels fails (exit 1) naming the file.
    func testVerifyGoldenChecksDICOMCases() throws {
        let model = PackagePaths.golden + "/models/tiny/hf", golden = PackagePaths.golden + "/forward/tiny-dicom-hf"
        let ok = try CkptProcess.run(["verify", model, "--golden", golden])
        XCTAssertEqual(ok.status, 0, ok.summary)
        XCTAssertTrue(ok.stdout.contains("bit-identical to the case's pixel_values; 3 DICOM files through the card recipe: "
                                         + "8-bit pixels identical to the reference's"), ok.stdout)
        // The same case with the first prepared hash altered, at the same depth so ../../dicom/inputs resolves.
        let tmp = try temporary()
        try FileManager.default.createDirectory(atPath: tmp.file("forward/case"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: tmp.file("dicom"), withDestinationPath: PackagePaths.golden + "/dicom")
        for name in ["expected.safetensors", "pixels.safetensors", "preprocessor_config.json"] {
            _ = try tmp.write("forward/case/" + name, try readBytes(golden + "/" + name))
        }
        let text = String(decoding: try readBytes(golden + "/golden.json"), as: UTF8.self)
        let first = "60fbd21c2d56ce75656629d3c9f4ca80b683f70798679214a49e2fd871f031d8"
        XCTAssertTrue(text.contains(first))
        _ = try tmp.write("forward/case/golden.json", Array(text.replacingOccurrences(of: first, with: String(repeating: "0", count: 64)).utf8))
        let bad = try CkptProcess.run(["verify", model, "--golden", tmp.file("forward/case")])
        XCTAssertEqual(bad.status, 1, bad.summary)
        XCTAssertTrue(bad.stdout.contains("FAIL, \(tmp.file("forward/case"))/../../dicom/inputs/rg1_crop.dcm gives 518×607 with SHA-256 \(first)"), bad.stdout)
    }
}
