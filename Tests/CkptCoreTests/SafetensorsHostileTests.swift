import CkptKit
import CkptTestSupport
import XCTest

/// Every malformed-header case gets its own test asserting the exact `SafetensorsProblem`: opening a
/// hostile file must throw `CkptError.malformedSafetensors` naming the file, never trap.
final class SafetensorsHostileTests: XCTestCase {
    private var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory("ckpt-hostile") }
    override func tearDown() { dir = nil }

    /// Opens `bytes` as a file and returns the problem it was refused for (fails the test if it opened).
    private func problem(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws -> SafetensorsProblem? {
        let path = try dir.write("hostile.safetensors", bytes)
        do {
            _ = try SafetensorsFile(path: path)
            XCTFail("a hostile file opened without error", file: file, line: line)
            return nil
        } catch let CkptError.malformedSafetensors(errorPath, problem) {
            XCTAssertEqual(errorPath, path, "the error must name the file", file: file, line: line)
            return problem
        }
    }

    private func assertProblem(_ bytes: [UInt8], _ expected: SafetensorsProblem,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try problem(bytes, file: file, line: line), expected, file: file, line: line)
    }

    /// A file with one F32 tensor "t" of `shape` at `offsets`, and `dataCount` zero bytes of data.
    private func oneTensor(dtype: String = "F32", shape: String, offsets: String, dataCount: Int, extra: String = "") -> [UInt8] {
        RawSafetensors.bytes(header: "{\"t\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":\(offsets)\(extra)}}",
                             data: [UInt8](repeating: 0, count: dataCount))
    }

    // MARK: - Length prefix

    func testEmptyFile() throws {
        try assertProblem([], .fileTooSmall(size: 0))
    }

    func testSevenByteFile() throws {
        try assertProblem([1, 0, 0, 0, 0, 0, 0], .fileTooSmall(size: 7))
    }

    func testHeaderLengthZero() throws {
        try assertProblem(RawSafetensors.bytes(header: "", declaredLength: 0),
                          .headerNotJSON(JSONError(offset: 0, message: "unexpected end of JSON")))
    }

    func testHeaderLengthPastEnd() throws {
        try assertProblem(RawSafetensors.bytes(header: "{}", declaredLength: 100), .headerPastEnd(length: 100, fileSize: 10))
    }

    func testHeaderLengthMaxUInt64() throws {
        try assertProblem(RawSafetensors.bytes(header: "{}", declaredLength: UInt64.max),
                          .headerTooLarge(length: UInt64.max, limit: 100_000_000))
    }

    func testHeaderLengthOver100MB() throws {
        try assertProblem(RawSafetensors.bytes(header: "{}", declaredLength: 100_000_001),
                          .headerTooLarge(length: 100_000_001, limit: 100_000_000))
    }

    // MARK: - Header text

    func testHeaderNotJSON() throws {
        try assertProblem(RawSafetensors.bytes(header: "hello"),
                          .headerNotJSON(JSONError(offset: 0, message: "unexpected character 'h'")))
    }

    func testHeaderIsJSONArray() throws {
        try assertProblem(RawSafetensors.bytes(header: "[]"), .headerNotObject(found: "an array"))
    }

    func testHeaderInvalidUTF8() throws {
        try assertProblem(RawSafetensors.bytes(headerBytes: [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]), .headerNotUTF8)
    }

    func testNestingDepth1000() throws {
        let header = "{\"a\":" + String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000) + "}"
        // The object is level 1; the 64th '[' (at byte 5 + 63) would be level 65.
        try assertProblem(RawSafetensors.bytes(header: header),
                          .headerNotJSON(JSONError(offset: 68, message: "nesting deeper than 64 levels")))
    }

    func testDuplicateTensorName() throws {
        let t = "\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}"
        try assertProblem(RawSafetensors.bytes(header: "{" + t + "," + t + "}", data: [7]),
                          .duplicateTensor(name: "a", offset: 1 + t.utf8.count + 1))
        XCTAssertEqual(SafetensorsProblem.duplicateTensor(name: "a", offset: 9).description,
                       "tensor \"a\" is listed twice in the header (second entry at byte 9); readers disagree on which one wins")
        let meta = "\"__metadata__\":{\"format\":\"pt\"}"
        try assertProblem(RawSafetensors.bytes(header: "{" + meta + "," + meta + "}", data: []),
                          .duplicateTensor(name: "__metadata__", offset: 1 + meta.utf8.count + 1))
    }

    func testDuplicateKeyInsideTensor() throws {
        let header = "{\"a\":{\"dtype\":\"U8\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,1]}}"
        try assertProblem(RawSafetensors.bytes(header: header, data: [7]),
                          .headerNotJSON(JSONError(offset: 19, message: "duplicate key \"dtype\"", duplicateKey: "dtype", depth: 2)))
    }

    func testNULPadding() throws {
        try assertProblem(RawSafetensors.bytes(headerBytes: Array("{}".utf8) + [0, 0, 0, 0, 0, 0]),
                          .headerNotJSON(JSONError(offset: 2, message: "NUL bytes after the JSON document (padding must be spaces)")))
    }

    func testGarbageAfterDocument() throws {
        try assertProblem(RawSafetensors.bytes(header: "{} x"),
                          .headerNotJSON(JSONError(offset: 3, message: "unexpected bytes after the JSON document")))
    }

    // MARK: - Metadata

    func testMetadataValueNotString() throws {
        try assertProblem(RawSafetensors.bytes(header: "{\"__metadata__\":{\"format\":\"pt\",\"epoch\":3}}"),
                          .metadataValueNotString(key: "epoch", found: "a number"))
    }

    func testMetadataNotObject() throws {
        try assertProblem(RawSafetensors.bytes(header: "{\"__metadata__\":\"pt\"}"), .metadataNotObject(found: "a string"))
    }

    func testMetadataHoldingATensorDescription() throws {
        // `__metadata__` used as a tensor name: its "shape" and "data_offsets" are not strings.
        let header = "{\"__metadata__\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}"
        try assertProblem(RawSafetensors.bytes(header: header, data: [7]),
                          .metadataValueNotString(key: "shape", found: "an array"))
    }

    // MARK: - Tensor fields

    func testTensorNotObject() throws {
        try assertProblem(RawSafetensors.bytes(header: "{\"t\":[1]}"), .tensorNotObject(tensor: "t", found: "an array"))
    }

    func testMissingDType() throws {
        try assertProblem(RawSafetensors.bytes(header: "{\"t\":{\"shape\":[1],\"data_offsets\":[0,4]}}", data: [0, 0, 0, 0]),
                          .missingField(tensor: "t", field: "dtype"))
    }

    func testMissingShape() throws {
        try assertProblem(RawSafetensors.bytes(header: "{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", data: [0, 0, 0, 0]),
                          .missingField(tensor: "t", field: "shape"))
    }

    func testMissingDataOffsets() throws {
        try assertProblem(RawSafetensors.bytes(header: "{\"t\":{\"dtype\":\"F32\",\"shape\":[1]}}", data: [0, 0, 0, 0]),
                          .missingField(tensor: "t", field: "data_offsets"))
    }

    func testExtraField() throws {
        try assertProblem(oneTensor(shape: "[1]", offsets: "[0,4]", dataCount: 4, extra: ",\"stride\":[1]"),
                          .unexpectedField(tensor: "t", field: "stride"))
    }

    func testUnknownDType() throws {
        try assertProblem(oneTensor(dtype: "F12", shape: "[1]", offsets: "[0,4]", dataCount: 4),
                          .unknownDType(tensor: "t", dtype: "F12"))
    }

    func testLowercaseDTypeIsUnknown() throws {
        try assertProblem(oneTensor(dtype: "f32", shape: "[1]", offsets: "[0,4]", dataCount: 4),
                          .unknownDType(tensor: "t", dtype: "f32"))
    }

    func testDTypeNotString() throws {
        try assertProblem(RawSafetensors.bytes(header: "{\"t\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", data: [0, 0, 0, 0]),
                          .invalidFieldType(tensor: "t", field: "dtype", expected: "a string", found: "a number"))
    }

    func testShapeNotArray() throws {
        try assertProblem(oneTensor(shape: "4", offsets: "[0,4]", dataCount: 4),
                          .invalidFieldType(tensor: "t", field: "shape", expected: "an array of integers", found: "a number"))
    }

    func testDataOffsetsWithThreeEntries() throws {
        try assertProblem(oneTensor(shape: "[1]", offsets: "[0,4,8]", dataCount: 4),
                          .invalidFieldType(tensor: "t", field: "data_offsets", expected: "an array of two integers", found: "an array"))
    }

    func testShapeEntryNotNumber() throws {
        try assertProblem(oneTensor(shape: "[\"1\"]", offsets: "[0,4]", dataCount: 4),
                          .invalidFieldType(tensor: "t", field: "shape", expected: "a non-negative integer", found: "a string"))
    }

    // MARK: - Integers

    func testNegativeShape() throws {
        try assertProblem(oneTensor(shape: "[-1]", offsets: "[0,4]", dataCount: 4),
                          .invalidInteger(tensor: "t", field: "shape", text: "-1", reason: "negative"))
    }

    func testNegativeOffset() throws {
        try assertProblem(oneTensor(shape: "[1]", offsets: "[-4,0]", dataCount: 4),
                          .invalidInteger(tensor: "t", field: "data_offsets", text: "-4", reason: "negative"))
    }

    func testFractionalOffset() throws {
        try assertProblem(oneTensor(shape: "[1]", offsets: "[0,4.0]", dataCount: 4),
                          .invalidInteger(tensor: "t", field: "data_offsets", text: "4.0", reason: "not an integer"))
    }

    func testExponentShape() throws {
        try assertProblem(oneTensor(shape: "[1e0]", offsets: "[0,4]", dataCount: 4),
                          .invalidInteger(tensor: "t", field: "shape", text: "1e0", reason: "not an integer"))
    }

    func testIntegerOver2To53() throws {
        try assertProblem(oneTensor(shape: "[9007199254740993]", offsets: "[0,4]", dataCount: 4),
                          .invalidInteger(tensor: "t", field: "shape", text: "9007199254740993", reason: "larger than 2^53"))
    }

    func testIntegerOverInt64() throws {
        try assertProblem(oneTensor(shape: "[1]", offsets: "[0,99999999999999999999999]", dataCount: 4),
                          .invalidInteger(tensor: "t", field: "data_offsets", text: "99999999999999999999999", reason: "larger than 2^53"))
    }

    // MARK: - Sizes and offsets

    func testShapeTimesDTypeOverflowsElements() throws {
        try assertProblem(oneTensor(shape: "[4294967296,4294967296]", offsets: "[0,4]", dataCount: 4),
                          .sizeOverflow(tensor: "t", shape: [4_294_967_296, 4_294_967_296], dtype: .f32))
    }

    func testShapeTimesDTypeOverflowsBits() throws {
        // 2^60 elements fit in Int; 2^60 × 64 bits do not.
        try assertProblem(oneTensor(dtype: "I64", shape: "[1073741824,1073741824]", offsets: "[0,8]", dataCount: 8),
                          .sizeOverflow(tensor: "t", shape: [1_073_741_824, 1_073_741_824], dtype: .i64))
    }

    func testOffsetsReversed() throws {
        try assertProblem(oneTensor(shape: "[1]", offsets: "[4,0]", dataCount: 4), .offsetsReversed(tensor: "t", begin: 4, end: 0))
    }

    func testByteCountMismatch() throws {
        let p = try problem(oneTensor(shape: "[2,3]", offsets: "[0,12]", dataCount: 12))
        XCTAssertEqual(p, .byteCountMismatch(tensor: "t", begin: 0, end: 12, shape: [2, 3], dtype: .f32, needed: 24))
        XCTAssertEqual(p?.description, "tensor \"t\": data_offsets [0, 12] hold 12 bytes but shape [2, 3] of F32 needs 24")
    }

    func testOverlap() throws {
        let header = RawSafetensors.header([("a", "F32", [2], 0, 8), ("b", "F32", [2], 4, 12)])
        try assertProblem(RawSafetensors.bytes(header: header, data: [UInt8](repeating: 0, count: 12)),
                          .overlap(tensor: "b", begin: 4, end: 12, other: "a", otherEnd: 8))
    }

    func testSameRangeTwice() throws {
        let header = RawSafetensors.header([("a", "F32", [2], 0, 8), ("b", "F32", [2], 0, 8)])
        try assertProblem(RawSafetensors.bytes(header: header, data: [UInt8](repeating: 0, count: 8)),
                          .overlap(tensor: "b", begin: 0, end: 8, other: "a", otherEnd: 8))
    }

    func testZeroSizeTensorInsideAnother() throws {
        let header = RawSafetensors.header([("a", "F32", [2], 0, 8), ("z", "F32", [0], 4, 4)])
        try assertProblem(RawSafetensors.bytes(header: header, data: [UInt8](repeating: 0, count: 8)),
                          .overlap(tensor: "z", begin: 4, end: 4, other: "a", otherEnd: 8))
    }

    func testHoleBetweenTensors() throws {
        let header = RawSafetensors.header([("a", "F32", [2], 0, 8), ("b", "F32", [2], 12, 20)])
        try assertProblem(RawSafetensors.bytes(header: header, data: [UInt8](repeating: 0, count: 20)),
                          .gap(tensor: "b", begin: 12, expected: 8))
    }

    func testHoleAtStart() throws {
        try assertProblem(oneTensor(shape: "[2]", offsets: "[4,12]", dataCount: 12), .gap(tensor: "t", begin: 4, expected: 0))
    }

    func testTrailingBytes() throws {
        try assertProblem(oneTensor(shape: "[2]", offsets: "[0,8]", dataCount: 12), .trailingBytes(count: 4))
    }

    func testTrailingBytesWithoutTensors() throws {
        try assertProblem(RawSafetensors.bytes(header: "{}", data: [1]), .trailingBytes(count: 1))
    }

    func testDataTruncated() throws {
        try assertProblem(oneTensor(shape: "[2]", offsets: "[0,8]", dataCount: 4), .dataTruncated(needed: 8, available: 4))
    }

    // MARK: - Limits (bounded memory on hostile input)

    /// `count` one-byte U8 tensors, and their data.
    private func tinyTensors(_ count: Int, trailer: String = "}") -> [UInt8] {
        let entries = (0..<count).map { "\"t\($0)\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[\($0),\($0 + 1)]}" }
        return RawSafetensors.bytes(header: "{" + entries.joined(separator: ",") + trailer, data: [UInt8](repeating: 0, count: count))
    }

    func testAsManyTensorsAsTheLimitAreRead() throws {
        let path = try dir.write("limit.safetensors", tinyTensors(SafetensorsHeader.maxTensors))
        XCTAssertEqual(try SafetensorsFile(path: path).tensors.count, 32_768)
    }

    func testOneTensorPastTheLimitIsRefused() throws {
        try assertProblem(tinyTensors(SafetensorsHeader.maxTensors + 1), .tooManyTensors(limit: 32_768))
    }

    /// The limit stops reading where it is reached: JSON that breaks after it is never looked at.
    func testTheTensorLimitIsDecidedBeforeTheRestIsRead() throws {
        try assertProblem(tinyTensors(SafetensorsHeader.maxTensors + 1, trailer: ", this is not JSON"), .tooManyTensors(limit: 32_768))
    }

    func testMetadataPastTheLimitIsRefused() throws {
        let entries = (0...SafetensorsHeader.maxMetadataEntries).map { "\"k\($0)\":\"\"" }
        try assertProblem(RawSafetensors.bytes(header: "{\"__metadata__\":{" + entries.joined(separator: ",") + "}}"),
                          .tooManyMetadataEntries(limit: 32_768))
    }

    func testShapeOfMoreThan64DimensionsIsRefused() throws {
        let shape = "[" + Array(repeating: "1", count: 65).joined(separator: ",") + "]"
        try assertProblem(oneTensor(dtype: "U8", shape: shape, offsets: "[0,1]", dataCount: 1),
                          .tooManyDimensions(tensor: "t", count: 65, limit: 64))
        let path = try dir.write("rank64.safetensors", oneTensor(dtype: "U8", shape: "[" + Array(repeating: "1", count: 64).joined(separator: ",") + "]",
                                                                offsets: "[0,1]", dataCount: 1))
        XCTAssertEqual(try SafetensorsFile(path: path).tensors[0].shape.count, 64)
    }

    /// Read member by member, a header still reports a JSON error anywhere before a problem with an
    /// earlier tensor entry, as the whole-document parse did.
    func testAJSONErrorLaterWinsOverAnEntryProblemEarlier() throws {
        let bytes = RawSafetensors.bytes(header: "{\"a\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]},\"b\":[1,}", data: [UInt8](repeating: 0, count: 16))
        guard case .headerNotJSON? = try problem(bytes) else { return XCTFail("expected the JSON error to win") }
        let valid = RawSafetensors.bytes(header: "{\"a\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]},\"b\":[1]}", data: [UInt8](repeating: 0, count: 16))
        try assertProblem(valid, .unknownDType(tensor: "a", dtype: "F128"))
    }

    // MARK: - Legal edge cases the checks must not refuse

    func testZeroSizeTensorsAtBoundariesAreLegal() throws {
        // What Python writes: zero-size tensors share the offset where the next tensor starts or the data ends.
        let header = RawSafetensors.header([("z0", "F32", [0], 0, 0), ("a", "F32", [2], 0, 8), ("z1", "F16", [3, 0, 2], 8, 8)])
        let path = try dir.write("edge.safetensors", RawSafetensors.bytes(header: header + "  ", data: [UInt8](repeating: 1, count: 8)))
        let file = try SafetensorsFile(path: path)
        XCTAssertEqual(file.tensors.map(\.name), ["z0", "a", "z1"])
        XCTAssertEqual(file.info("z1")?.shape, [3, 0, 2])
        XCTAssertEqual(file.info("z1")?.byteCount, 0)
    }

    func testEmptyHeaderObjectIsLegal() throws {
        let path = try dir.write("none.safetensors", RawSafetensors.bytes(header: "{}      "))
        let file = try SafetensorsFile(path: path)
        XCTAssertTrue(file.tensors.isEmpty)
        XCTAssertNil(file.metadata)
    }

    func testErrorDescriptionNamesFileAndTensor() throws {
        let path = try dir.write("named.safetensors", oneTensor(shape: "[2304,768]", offsets: "[0,12]", dataCount: 12))
        XCTAssertThrowsError(try SafetensorsFile(path: path)) { error in
            XCTAssertEqual("\(error)", "\(path): tensor \"t\": data_offsets [0, 12] hold 12 bytes but shape [2304, 768] of F32 needs 7077888")
        }
    }
}
