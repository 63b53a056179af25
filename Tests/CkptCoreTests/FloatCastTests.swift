import CkptKit
import CkptTestSupport
import XCTest

/// Casts checked bit for bit against torch's `Tensor.to()` output recorded in `golden/safetensors/casts.*`.
final class FloatCastTests: XCTestCase {
    /// (source tensor, torch output tensor, source dtype, target dtype)
    static let pairs: [(String, String, DType, DType)] = [
        ("src_f32", "src_f32_to_f16", .f32, .f16),
        ("src_f32", "src_f32_to_bf16", .f32, .bf16),
        ("src_f64", "src_f64_to_f32", .f64, .f32),
        ("src_f16", "src_f16_to_bf16", .f16, .bf16),
        ("src_f16", "src_f16_to_f32", .f16, .f32),
        ("src_bf16", "src_bf16_to_f16", .bf16, .f16),
        ("src_bf16", "src_bf16_to_f32", .bf16, .f32),
    ]

    /// Elements whose NaN bit pattern depends on where torch's kernel put them, compared as NaN-ness only:
    /// torch's F16 → F32 kernel converts the last `n mod 16` elements with a scalar loop that writes
    /// 0x7FFFFFFF for any NaN (casts.json notes: "depend on torch's kernel path … not a spec").
    static func positionDependentNaN(_ target: String, index: Int, count: Int) -> Bool {
        target == "src_f16_to_f32" && index >= count - count % 16
    }

    private static func elementBits(_ bytes: [UInt8], width: Int, at i: Int) -> UInt64 {
        (0..<width).reduce(UInt64(0)) { $0 | UInt64(bytes[i * width + $1]) << (8 * $1) }
    }

    private static func isNaN(_ bits: UInt64, _ dtype: DType) -> Bool {
        switch dtype {
        case .f16: return bits & 0x7C00 == 0x7C00 && bits & 0x3FF != 0
        case .bf16: return bits & 0x7F80 == 0x7F80 && bits & 0x7F != 0
        case .f32: return Float(bitPattern: UInt32(bits)).isNaN
        default: return Double(bitPattern: bits).isNaN
        }
    }

    private func goldenBytes() throws -> (GoldenFile, (String) throws -> [UInt8]) {
        let golden = try GoldenFile("casts.json")
        let path = PackagePaths.goldenSafetensors(golden.file)
        return (golden, { name in try golden.bytes(of: golden[name]!, in: path) })
    }

    /// Compares our output with torch's, element by element, naming the element on failure.
    private func assertSameBits(_ ours: [UInt8], _ torch: [UInt8], target: String, dtype: DType,
                                file: StaticString = #filePath, line: UInt = #line) {
        let width = dtype.byteWidth!
        XCTAssertEqual(ours.count, torch.count, target, file: file, line: line)
        let count = torch.count / width
        for i in 0..<min(count, ours.count / width) {
            let a = Self.elementBits(ours, width: width, at: i), b = Self.elementBits(torch, width: width, at: i)
            if Self.positionDependentNaN(target, index: i, count: count) {
                XCTAssertEqual(Self.isNaN(a, dtype), Self.isNaN(b, dtype), "\(target)[\(i)]", file: file, line: line)
            } else {
                XCTAssertEqual(String(a, radix: 16), String(b, radix: 16), "\(target)[\(i)]", file: file, line: line)
            }
        }
    }

    func testConvertMatchesTorchBitForBit() throws {
        let (_, bytes) = try goldenBytes()
        for (source, target, from, to) in Self.pairs {
            let input = try bytes(source)
            let count = input.count / from.byteWidth!
            var out = [UInt8](repeating: 0xAA, count: count * to.byteWidth!)
            input.withUnsafeBytes { src in out.withUnsafeMutableBytes { FloatCast.convert(src, from: from, to: to, into: $0) } }
            assertSameBits(out, try bytes(target), target: target, dtype: to)
        }
    }

    func testToFloat32MatchesTorch() throws {
        let (_, bytes) = try goldenBytes()
        for (source, target, from, to) in Self.pairs where to == .f32 {
            let values = try bytes(source).withUnsafeBytes { FloatCast.toFloat32($0, from: from) }
            let ours = values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
            assertSameBits(ours, try bytes(target), target: target, dtype: .f32)
        }
    }

    /// The writer's streaming cast path gives the same bits, and Python reads the result.
    func testWriterCastMatchesTorch() throws {
        let (golden, bytes) = try goldenBytes()
        let checkpoint = try Checkpoint.open(PackagePaths.goldenSafetensors(golden.file))
        let dir = try TemporaryDirectory()
        for (source, target, _, to) in Self.pairs {
            let out = dir.file(target + ".safetensors")
            let entry = try XCTUnwrap(checkpoint[source])
            try SafetensorsWriter.write([OutputTensor(entry.renamed(target), dtype: to)], to: out)
            let written = try SafetensorsFile(path: out)
            let t = try XCTUnwrap(written.info(target))
            XCTAssertEqual(t.dtype, to, target)
            assertSameBits(try written.withBytes(of: t) { Array($0) }, try bytes(target), target: target, dtype: to)
            if !(0..<entry.elementCount).contains(where: { Self.positionDependentNaN(target, index: $0, count: entry.elementCount) }) {
                try InteropExport.record(out, label: "cast-" + target, expected: [
                    .init(name: target, dtype: to.rawValue, shape: entry.shape, bytes: try bytes(target)),
                ], metadata: [("format", "pt")])
            }
        }
    }

    /// F64 → F16 and F64 → BF16, which casts.* does not hold: `Tests/Fixtures/casts_f64.safetensors`, written by
    /// torch 2.15 with `Tests/Fixtures/make_casts_f64.py` (double-rounding cases, edges, NaN payloads).
    func testF64ToHalfTypesMatchTorch() throws {
        let file = try SafetensorsFile(path: PackagePaths.root + "/Tests/Fixtures/casts_f64.safetensors")
        func bytes(_ name: String) throws -> [UInt8] { try file.withBytes(of: try XCTUnwrap(file.info(name), name)) { Array($0) } }
        let source = try bytes("src_f64")
        for (target, to) in [("src_f64_to_f16", DType.f16), ("src_f64_to_bf16", DType.bf16)] {
            var out = [UInt8](repeating: 0xAA, count: source.count / 8 * to.byteWidth!)
            source.withUnsafeBytes { src in out.withUnsafeMutableBytes { FloatCast.convert(src, from: .f64, to: to, into: $0) } }
            assertSameBits(out, try bytes(target), target: target, dtype: to)
        }
    }

    /// Edge values spelled out (also covered by the golden table above): they document the rules.
    func testF16Edges() {
        XCTAssertEqual(FloatCast.f16Bits(65504), 0x7BFF, "largest finite half")
        XCTAssertEqual(FloatCast.f16Bits(65519.99), 0x7BFF, "just below the rounding boundary")
        XCTAssertEqual(FloatCast.f16Bits(65520), 0x7C00, "65520 rounds to +inf")
        XCTAssertEqual(FloatCast.f16Bits(-65520), 0xFC00)
        XCTAssertEqual(FloatCast.f16Bits(Float(bitPattern: 0x3380_0000)), 0x0001, "2^-24, smallest subnormal")
        XCTAssertEqual(FloatCast.f16Bits(Float(bitPattern: 0x3300_0000)), 0x0000, "2^-25 ties to even (zero)")
        XCTAssertEqual(FloatCast.f16Bits(-0.0), 0x8000)
        XCTAssertEqual(FloatCast.f16Bits(.infinity), 0x7C00)
        XCTAssertEqual(FloatCast.f16Bits(Float(bitPattern: 0xFFC0_0000)), 0xFE00, "negative NaN keeps its sign")
        XCTAssertEqual(FloatCast.float(fromF16: 0x0001), Float(bitPattern: 0x3380_0000))
        XCTAssertEqual(FloatCast.float(fromF16: 0x8000).sign, .minus)
    }

    func testBF16Edges() {
        XCTAssertEqual(FloatCast.bf16Bits(Float(bitPattern: 0x3F80_8000)), 0x3F80, "tie rounds to even")
        XCTAssertEqual(FloatCast.bf16Bits(Float(bitPattern: 0x3F81_8000)), 0x3F82, "tie rounds to even (up)")
        XCTAssertEqual(FloatCast.bf16Bits(Float(bitPattern: 0x7F7F_FFFF)), 0x7F80, "F32 max rounds to +inf")
        XCTAssertEqual(FloatCast.bf16Bits(Float(bitPattern: 0x0000_0001)), 0x0000, "F32 min subnormal flushes by rounding")
        XCTAssertEqual(FloatCast.bf16Bits(-0.0), 0x8000)
        XCTAssertEqual(FloatCast.bf16Bits(.nan, nan: FloatCast.bf16NaNFromF32), 0xFFFF)
        XCTAssertEqual(FloatCast.float(fromBF16: 0xFF80), -.infinity)
    }
}
