import CkptTestSupport
import XCTest
@testable import CkptDICOM
@testable import CkptCore

/// The reader's refusals, case by case: the hostile corpus (each with its expected words) and
/// hand-made datasets around each limit.
final class DICOMRefusalTests: XCTestCase {
    static let corpus = PackagePaths.root + "/Tests/Corpus/hostile-dicom"

    func testEveryHostileCaseIsRefusedByTheReaderWithItsMessage() throws {
        let manifest = try StrictJSONParser.parse(try readBytes(Self.corpus + "/expected.json"))
        let cases = try XCTUnwrap(manifest["cases"]?.arrayValue)
        XCTAssertGreaterThanOrEqual(cases.count, 28)
        for c in cases {
            let name = try XCTUnwrap(c["path"]?.stringValue), expect = try XCTUnwrap(c["expect"]?.stringValue)
            let path = Self.corpus + "/" + name
            XCTAssertThrowsError(try DICOMReader.read(contentsOf: path), name) { error in
                guard let problem = error as? DICOMProblem else { return XCTFail("\(name): \(error)") }
                XCTAssertEqual(problem.path, path, name)
                XCTAssertTrue(problem.description.hasPrefix(path + ": "), problem.description)
                XCTAssertTrue(problem.description.contains(expect), "\(name): expected \"\(expect)\" in \(problem)")
                XCTAssertEqual(problem.exitCode, 2)
            }
        }
    }

    // MARK: - Hand-made datasets

    /// An explicit VR little endian element.
    static func element(_ group: UInt16, _ element: UInt16, _ vr: String, _ value: [UInt8], length: UInt32? = nil) -> [UInt8] {
        var out: [UInt8] = []
        func le<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        le(group); le(element)
        out.append(contentsOf: Array(vr.utf8))
        let n = length ?? UInt32(value.count)
        if DatasetParser.longVRs.contains(vr) { le(UInt16(0)); le(n) } else { le(UInt16(n)) }
        return out + value
    }

    static func us(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }

    static func part10(_ dataset: [UInt8], syntax: String = "1.2.840.10008.1.2.1") -> [UInt8] {
        var uid = Array(syntax.utf8)
        if uid.count % 2 == 1 { uid.append(0) }
        return [UInt8](repeating: 0, count: 128) + Array("DICM".utf8) + element(0x0002, 0x0010, "UI", uid) + dataset
    }

    static func image(rows: UInt16 = 2, columns: UInt16 = 2, extra: [UInt8] = []) -> [UInt8] {
        extra + element(0x0028, 0x0004, "CS", Array("MONOCHROME2 ".utf8))
            + element(0x0028, 0x0010, "US", us(rows)) + element(0x0028, 0x0011, "US", us(columns))
            + element(0x0028, 0x0100, "US", us(16)) + element(0x0028, 0x0101, "US", us(16))
            + element(0x0028, 0x0102, "US", us(15)) + element(0x0028, 0x0103, "US", us(0))
            + element(0x7FE0, 0x0010, "OW", [1, 0, 2, 0, 3, 0, 4, 0])
    }

    /// `depth` sequences of undefined length nested in items of undefined length.
    static func nested(_ depth: Int) -> [UInt8] {
        let itemStart: [UInt8] = [0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]
        let itemEnd: [UInt8] = [0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0]
        let seqEnd: [UInt8] = [0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]
        var inner = element(0x0040, 0xA730, "SQ", [], length: 0xFFFF_FFFF) + seqEnd
        for _ in 1..<depth { inner = element(0x0040, 0xA730, "SQ", [], length: 0xFFFF_FFFF) + itemStart + inner + itemEnd + seqEnd }
        return inner
    }

    func read(_ bytes: [UInt8]) throws -> DICOMFile {
        try bytes.withUnsafeBytes { try DICOMReader.read(bytes: $0, path: "t.dcm") }
    }

    func testNestingUpToTheLimitIsReadAndOneMoreIsRefused() throws {
        let ok = try read(Self.part10(Self.image(extra: Self.nested(DatasetParser.maxDepth))))
        XCTAssertEqual(ok.image.values, [1, 2, 3, 4])
        XCTAssertThrowsError(try read(Self.part10(Self.image(extra: Self.nested(DatasetParser.maxDepth + 1))))) {
            XCTAssertEqual($0 as? DICOMProblem, .nestingTooDeep(path: "t.dcm", tag: DICOMTag(0x0040, 0xA730), limit: 64))
        }
    }

    func testEveryTruncationOfAValidFileIsRefusedNeverReadWrong() throws {
        let whole = Self.part10(Self.image())
        XCTAssertEqual(try read(whole).image.values, [1, 2, 3, 4])
        for cut in 0..<whole.count {
            XCTAssertThrowsError(try read(Array(whole[..<cut])), "cut at \(cut)") { error in
                XCTAssertTrue(error is DICOMProblem, "cut at \(cut): \(error)")
            }
        }
    }

    func testPixelLimitIsCheckedBeforeThePixelData() throws {
        XCTAssertThrowsError(try Self.part10(Self.image()).withUnsafeBytes {
            try DICOMReader.read(bytes: $0, path: "t.dcm", maxPixels: 3)
        }) { XCTAssertEqual($0 as? DICOMProblem, .tooManyPixels(path: "t.dcm", width: 2, height: 2, limit: 3)) }
    }

    func testABareSafetensorsLikeHeaderIsNotTakenForDICOM() {
        // An 8-byte safetensors header length (08 00 …) followed by "{}" padding is not a dataset.
        let bytes: [UInt8] = [8, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8)
        XCTAssertFalse(bytes.withUnsafeBytes { DICOMReader.looksLikeDICOM($0) })
    }

    func testDecimalStringsParseAsAStreamDoes() {
        XCTAssertEqual(DICOMValues.parseDecimal(" -1024 "), -1024)
        XCTAssertEqual(DICOMValues.parseDecimal("+.5"), 0.5)
        XCTAssertEqual(DICOMValues.parseDecimal("1.5e2x"), 150)
        XCTAssertEqual(DICOMValues.parseDecimal("2e"), 2)
        XCTAssertEqual(DICOMValues.parseDecimal("0.1"), 0.1)
        XCTAssertNil(DICOMValues.parseDecimal("abc"))
        XCTAssertNil(DICOMValues.parseDecimal("."))
    }

    /// GDCM's Rescaler::ComputeInterceptSlopePixelType, row by row.
    func testRescaledPixelTypeFollowsGDCM() {
        let rows: [(Int, Int, Bool, Double, Double, DICOMPixelType)] = [
            (16, 16, false, 1, 0, .uint16), (16, 12, false, 1, -1024, .int16), (16, 16, false, 1, -1024, .int32),
            (16, 16, true, 1, -1024, .int32), (16, 12, true, 1, -1024, .int16), (8, 8, false, 1, 10, .uint16),
            (8, 8, false, 1, -10, .int16), (8, 7, false, 1, -10, .int8), (16, 16, false, 0.5, 0, .float64),
            (16, 16, false, 1, 0.5, .float64), (16, 16, false, -1, 0, .int32), (16, 16, false, 2, 0, .uint32),
            (16, 16, false, 70_000, 0, .float64), (8, 8, true, 1, 0, .int8),
        ]
        for (allocated, stored, signed, slope, intercept, expected) in rows {
            XCTAssertEqual(DICOMHeader.rescaledType(bitsAllocated: allocated, bitsStored: stored, signed: signed,
                                                    slope: slope, intercept: intercept), expected,
                           "\(allocated)/\(stored) signed \(signed), slope \(slope), intercept \(intercept)")
        }
    }
}
