import CkptTestSupport
import Foundation
import XCTest
@testable import CkptDICOM
@testable import CkptCore

/// Every file of golden/dicom/inputs against what SimpleITK 2.5.7 read from it (golden/gen/dicom_inputs.py).
final class DICOMGoldenTests: XCTestCase {
    struct Case {
        let name: String
        let record: JSONValue
        var sitk: JSONValue { record["sitk"]! }
        var path: String { DICOMGolden.directory + "/" + name }
    }

    static func cases() throws -> [Case] {
        let json = try StrictJSONParser.parse(try readBytes(DICOMGolden.directory + "/inputs.json"))
        guard let files = json["files"]?.objectValue else { throw XCTSkip("inputs.json has no files") }
        return files.map { Case(name: $0.0, record: $0.1) }
    }

    /// The samples as SimpleITK's array holds them: little endian in the pixel type, y then x.
    static func bytes(_ image: DICOMImage) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(image.values.count * 8)
        func append<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        for v in image.values {
            switch image.pixelType {
            case .uint8: append(UInt8(v))
            case .int8: append(Int8(v))
            case .uint16: append(UInt16(v))
            case .int16: append(Int16(v))
            case .uint32: append(UInt32(v))
            case .int32: append(Int32(v))
            case .float32: append(Float(v).bitPattern)
            case .float64: append(v.bitPattern)
            }
        }
        return out
    }

    func testEveryReadableInputMatchesSimpleITK() throws {
        var checked = 0
        for c in try Self.cases() where c.record["ckpt"]?.stringValue == "read" {
            let file: DICOMFile
            do { file = try DICOMReader.read(contentsOf: c.path) } catch {
                XCTFail("\(c.name): \(error)")
                continue
            }
            let image = file.image
            let size = c.sitk["size"]!.arrayValue!.map { $0.intValue! }
            XCTAssertEqual([image.width, image.height], size, c.name)
            XCTAssertEqual(image.pixelType.rawValue, c.sitk["pixel_type"]?.stringValue, c.name)
            XCTAssertEqual([image.spacing.x, image.spacing.y], c.sitk["spacing"]!.arrayValue!.map { $0.doubleValue! }, "\(c.name) spacing")
            XCTAssertEqual([image.origin.x, image.origin.y], c.sitk["origin"]!.arrayValue!.map { $0.doubleValue! }, "\(c.name) origin")
            XCTAssertEqual(image.direction, c.sitk["direction"]!.arrayValue!.map { $0.doubleValue! }, "\(c.name) direction")
            if c.record["lossless"] == .bool(true) {
                XCTAssertEqual(sha256Hex(Self.bytes(image)), c.sitk["sha256"]?.stringValue, "\(c.name) pixels")
                XCTAssertEqual(image.values.min(), c.sitk["min"]?.doubleValue, c.name)
                XCTAssertEqual(image.values.max(), c.sitk["max"]?.doubleValue, c.name)
            }
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 30)
    }

    static func storedSamples(_ path: String) throws -> [UInt16] {
        var samples: [UInt16] = []
        let bytes = try readBytes(path)
        _ = try bytes.withUnsafeBytes {
            try DICOMReader.read(bytes: $0, path: path, maxPixels: DICOMReader.defaultMaxPixels) { samples = $0 }
        }
        return samples
    }

    /// Lossless syntaxes decode to exactly the samples of the uncompressed file they were written from.
    func testLosslessDecodesEqualTheirUncompressedTwin() throws {
        var checked = 0
        for c in try Self.cases() where c.record["lossless"] == .bool(true) {
            guard let twin = c.record["twin"]?.stringValue else { continue }
            let a = try Self.storedSamples(c.path), b = try Self.storedSamples(DICOMGolden.directory + "/" + twin)
            XCTAssertEqual(a.count, b.count, c.name)
            XCTAssertTrue(a == b, "\(c.name): \(zip(a, b).filter { $0 != $1 }.count) samples differ from \(twin)'s")
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 15)
    }

    /// Lossy decodes: the deviation from SimpleITK's own decode (its bundled IJG/OpenJPEG/CharLS).
    func testLossyDecodesStayWithinOneLevelOfSimpleITK() throws {
        for c in try Self.cases() where c.record["lossless"] == .bool(false) && c.record["ckpt"]?.stringValue == "read" {
            let image = try DICOMReader.read(contentsOf: c.path).image
            let reference = try readBytes(c.path + ".sitk.raw")
            let ours = Self.bytes(image)
            XCTAssertEqual(ours.count, reference.count, c.name)
            let width = ours.count / image.values.count
            var differing = 0, worst = 0
            for i in 0..<image.values.count {
                var a = 0, b = 0
                for k in (0..<width).reversed() { a = a << 8 | Int(ours[i * width + k]); b = b << 8 | Int(reference[i * width + k]) }
                if a != b { differing += 1; worst = max(worst, abs(a - b)) }
            }
            print("\(c.name): \(differing) of \(image.values.count) samples differ from SimpleITK, by at most \(worst)")
            XCTAssertLessThanOrEqual(worst, 1, c.name)
        }
    }

    /// The full-size NEMA radiographs of the installed pydicom-data (not committed: 0.2–7 MB each),
    /// when CKPT_PYDICOM_DATA names their folder (…/site-packages/data_store/data).
    func testFullSizeRadiographsMatchSimpleITK() throws {
        guard let folder = ProcessInfo.processInfo.environment["CKPT_PYDICOM_DATA"] else {
            throw XCTSkip("set CKPT_PYDICOM_DATA to pydicom-data's data_store/data folder to run this")
        }
        let json = try StrictJSONParser.parse(try readBytes(DICOMGolden.directory + "/inputs.json"))
        let files = try XCTUnwrap(json["pydicom_data"]?.objectValue)
        XCTAssertEqual(files.count, 6)
        for (name, record) in files {
            let image = try DICOMReader.read(contentsOf: folder + "/" + name).image
            let sitk = try XCTUnwrap(record["sitk"])
            XCTAssertEqual([image.width, image.height], sitk["size"]!.arrayValue!.map { $0.intValue! }, name)
            XCTAssertEqual(image.pixelType.rawValue, sitk["pixel_type"]?.stringValue, name)
            let same = sha256Hex(Self.bytes(image)) == sitk["sha256"]?.stringValue
            if record["lossless"] == .bool(true) {
                XCTAssertTrue(same, "\(name) pixels")
            } else {
                print("\(name): \(same ? "equal to" : "differs from") SimpleITK's decode")
            }
        }
    }

    /// The Swift DCT decoder (written for 12-bit samples) on 8-bit frames gives libjpeg-turbo's
    /// samples exactly: two independent implementations of IJG's islow IDCT agree.
    func testSwiftDCTDecoderAgreesWithLibjpegTurboOn8BitFrames() throws {
        for name in ["mono2_8bit_jpeg_baseline.dcm", "mono2_8bit_jpeg_extended.dcm", "mono2_8bit_jpeg_restarts.dcm"] {
            let path = DICOMGolden.directory + "/" + name
            let turbo = try Self.storedSamples(path)
            let bytes = try readBytes(path)
            let swift: [UInt16] = try bytes.withUnsafeBytes { raw in
                var parser = DatasetParser(bytes: raw, path: path, explicitVR: true, bigEndian: false, wanted: [])
                var offset = 132
                while parser.u16(offset, bigEndian: false) == 0x0002 {
                    let h = try parser.header(at: offset, end: raw.count, explicit: true, bigEndian: false, context: nil)
                    offset = try parser.valueEnd(h, h.length!, end: raw.count)
                }
                guard case let .encapsulated(_, fragments) = try parser.parseTopLevel(start: offset, end: raw.count).pixelData else {
                    throw XCTSkip("\(name) is not encapsulated")
                }
                return try PixelDecoder.withFrame(fragments, in: raw) {
                    try JPEGDecoder.decodeFrame($0, width: 255, height: 211, maxPrecision: 8, lossless: false).0
                }
            }
            XCTAssertEqual(swift.count, turbo.count, name)
            XCTAssertTrue(swift == turbo, "\(name): \(zip(swift, turbo).filter { $0 != $1 }.count) samples differ")
        }
    }

}

enum DICOMGolden {
    static var directory: String { PackagePaths.golden + "/dicom/inputs" }
}
