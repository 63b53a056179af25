import CkptCore
import CkptImage
import Foundation
import XCTest

/// The one-call inflate of a PNG's image data (libdeflate, then unfiltering in place) against libpng reading
/// row by row: the same pixels for every clean file, and for a damaged one the same outcome, because the
/// default path hands every file it cannot decode cleanly back to libpng.
final class PNGInflatePathTests: XCTestCase {
    /// What a decode gave: the image's header facts and samples, or the error's text.
    func outcome(_ bytes: [UInt8], _ path: ImageDecoder.PNGPath) -> String {
        do {
            let image = try bytes.withUnsafeBytes {
                try ImageDecoder.decode(
                    bytes: $0, path: "test.png", maxPixels: ImageDecoder.defaultMaxPixels, pngPath: path)
            }
            let samples = try Hashing.sha256(
                bytes: image.nativeSamples ?? image.gray16Values!.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] })
            return
                "\(image.width)x\(image.height) \(image.mode) \(String(describing: image.transparency)) samples \(samples) "
                + "RGB \(try Hashing.sha256(bytes: image.convertedToRGB().pixels))"
        } catch {
            return "error: \(error)"
        }
    }

    /// The IHDR facts that decide the path: (bit depth, interlaced).
    func ihdr(_ bytes: [UInt8]) -> (depth: Int, interlaced: Bool) { (Int(bytes[24]), bytes[28] != 0) }

    func testEveryGoldenPNGDecodesTheSameOnBothPaths() throws {
        let golden = try GoldenImages.load()
        var whole = 0
        var rowsOnly = 0
        var multiChunk = 0
        for entry in golden.entries("images") {
            let file = entry["file"] as! String
            guard file.hasSuffix(".png") else { continue }
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: golden.path(file))))
            let rows = outcome(bytes, .rows)
            XCTAssertFalse(rows.hasPrefix("error"), "\(file): \(rows)")
            XCTAssertEqual(outcome(bytes, .wholeOrRows), rows, file)
            let (depth, interlaced) = ihdr(bytes)
            if !interlaced && depth >= 8 {
                // The one-call path alone decodes it, and to the same samples.
                XCTAssertEqual(outcome(bytes, .wholeOnly), rows, "\(file): one-call inflate")
                whole += 1
                if bytes.count > 100_000 { multiChunk += 1 }
            } else {
                XCTAssertTrue(
                    outcome(bytes, .wholeOnly).hasPrefix("error"), "\(file): interlaced or packed must use libpng")
                rowsOnly += 1
            }
        }
        // 16 of the 31 golden PNGs: every colour type at 8 and 16 bits; camera.png (scikit-image's) has 17 IDATs.
        XCTAssertEqual(whole, 16)
        XCTAssertEqual(rowsOnly, 15)
        XCTAssertEqual(multiChunk, 1)
    }

    /// Random filter bytes and samples in every colour type and depth the one-call path takes, the stream
    /// split into IDATs of every size down to one byte (and empty IDATs between).
    func testRandomFilteredRowsDecodeTheSameOnBothPaths() throws {
        var rng = SplitMix64(seed: 23)
        let kinds: [(colorType: UInt8, depth: UInt8, channels: Int)] = [
            (0, 8, 1), (0, 16, 1), (2, 8, 3), (2, 16, 3), (3, 8, 1), (4, 8, 2), (4, 16, 2), (6, 8, 4), (6, 16, 4),
        ]
        let palette = HandMadePNG.chunk("PLTE", (0..<768).map { UInt8(truncatingIfNeeded: $0 * 7) })
        for kind in kinds {
            for (width, height) in [(1, 1), (1, 9), (9, 1), (5, 7), (33, 17), (64, 3)] {
                let rowBytes = width * kind.channels * Int(kind.depth) / 8
                var raw: [UInt8] = []
                for _ in 0..<height {
                    raw.append(UInt8(rng.next() % 5))
                    for _ in 0..<rowBytes { raw.append(UInt8(truncatingIfNeeded: rng.next())) }
                }
                for split in [nil, 1, 7, 100] as [Int?] {
                    let stream = HandMadePNG.storedZlib(raw, block: 50)
                    let bytes = HandMadePNG.file(
                        width: UInt32(width), height: UInt32(height), depth: kind.depth,
                        colorType: kind.colorType, beforeData: kind.colorType == 3 ? [palette] : [],
                        stream: stream, split: split)
                    let label =
                        "type \(kind.colorType) depth \(kind.depth) \(width)x\(height) split \(String(describing: split))"
                    let rows = outcome(bytes, .rows)
                    XCTAssertFalse(rows.hasPrefix("error"), "\(label): \(rows)")
                    XCTAssertEqual(outcome(bytes, .wholeOnly), rows, label)
                    XCTAssertEqual(outcome(bytes, .wholeOrRows), rows, label)
                }
            }
        }
    }

    /// Damage the one-call path does not decode: the default path gives libpng's result, whatever it is.
    func testDamagedImageDataGivesLibpngsOutcome() throws {
        let (width, height) = (6, 4)
        var raw: [UInt8] = []
        for y in 0..<height {
            raw.append(UInt8(y % 5))
            for x in 0..<(width * 3) { raw.append(UInt8((x * 31 + y * 17) & 0xFF)) }
        }
        func png(_ stream: [UInt8], split: Int? = nil, beforeData: [[UInt8]] = []) -> [UInt8] {
            HandMadePNG.file(
                width: UInt32(width), height: UInt32(height), depth: 8, colorType: 2, beforeData: beforeData,
                stream: stream, split: split)
        }
        var badFilter = raw
        badFilter[2 * (width * 3 + 1)] = 5
        let oneRowShort = Array(raw.dropLast(width * 3 + 1))
        let oneRowLong = raw + raw.suffix(width * 3 + 1)
        let good = png(HandMadePNG.storedZlib(raw))
        var cases: [(String, [UInt8])] = [
            ("bad filter byte", png(HandMadePNG.storedZlib(badFilter))),
            ("wrong Adler-32", png(HandMadePNG.storedZlib(raw, adler: 0x1234_5678))),
            ("stream one row short", png(HandMadePNG.storedZlib(oneRowShort))),
            ("stream one row long", png(HandMadePNG.storedZlib(oneRowLong))),
            (
                "garbage IDAT after the stream",
                png(HandMadePNG.storedZlib(raw) + [1, 2, 3, 4], split: HandMadePNG.storedZlib(raw).count)
            ),
            ("stream with no end", png(Array(HandMadePNG.storedZlib(raw).dropLast(4)))),
            ("not zlib", png([0x78, 0x02] + HandMadePNG.storedZlib(raw).dropFirst(2))),
        ]
        // A wrong CRC in the second IDAT, and a chunk between two IDATs.
        var badCRC = png(HandMadePNG.storedZlib(raw), split: 20)
        let secondIDAT = 33 + 12 + 20
        badCRC[secondIDAT + 8 + 20 - 1 + 4] ^= 0xFF
        cases.append(("CRC of the second IDAT", badCRC))
        let stream = HandMadePNG.storedZlib(raw)
        let interrupted =
            Array(png(Array(stream.prefix(20))).dropLast(12)) + HandMadePNG.chunk("tEXt", Array("a\0b".utf8))
            + HandMadePNG.chunk("IDAT", Array(stream.dropFirst(20))) + HandMadePNG.chunk("IEND", [])
        cases.append(("a tEXt chunk between IDATs", interrupted))
        // Every truncation of the image data.
        for end in stride(from: 33 + 8, to: good.count - 12, by: 3) {
            cases.append(("cut at \(end)", Array(good.prefix(end))))
        }
        var differing = 0
        for (label, bytes) in cases {
            let rows = outcome(bytes, .rows)
            XCTAssertEqual(outcome(bytes, .wholeOrRows), rows, label)
            if outcome(bytes, .wholeOnly) != rows { differing += 1 }
        }
        // The planted damage really reaches the fallback (most cases are errors the one-call path refuses).
        XCTAssertGreaterThan(differing, cases.count / 2)
        XCTAssertEqual(outcome(good, .wholeOnly), outcome(good, .rows))
    }

    /// A real PNG of 17 IDATs (scikit-image's camera.png) with one byte of its image data changed and the chunk's CRC made right
    /// again, at positions across the stream: libpng's outcome every time.
    func testChangedBytesInARealPNGGiveLibpngsOutcome() throws {
        let golden = try GoldenImages.load()
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: golden.path("inputs/camera.png"))))
        var idats: [(data: Int, length: Int)] = []
        var at = 8
        while at + 12 <= original.count {
            let length =
                Int(original[at]) << 24 | Int(original[at + 1]) << 16 | Int(original[at + 2]) << 8
                | Int(original[at + 3])
            if String(decoding: original[at + 4..<at + 8], as: UTF8.self) == "IDAT" { idats.append((at + 8, length)) }
            at += 12 + length
        }
        XCTAssertEqual(idats.count, 17)
        for (index, chunk) in idats.enumerated() where index % 4 == 0 || index == idats.count - 1 {
            for offset in [0, 1, chunk.length / 2, chunk.length - 1] {
                var bytes = original
                bytes[chunk.data + offset] ^= 0x5A
                let crc = HandMadePNG.be32(CRC32.checksum(bytes[chunk.data - 4..<chunk.data + chunk.length]))
                bytes.replaceSubrange(chunk.data + chunk.length..<chunk.data + chunk.length + 4, with: crc)
                XCTAssertEqual(outcome(bytes, .wholeOrRows), outcome(bytes, .rows), "IDAT \(index) byte \(offset)")
            }
        }
    }
}

/// A small deterministic generator (SplitMix64) for test data.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
