import CkptKit
@testable import CkptVerify
import XCTest

final class TensorScanTests: XCTestCase {
    /// The NaN and ±Inf counts and first index of each tensor of `casts.safetensors`, with the expected
    /// values taken from the bit patterns torch recorded in `casts.json` and classified by Swift's own
    /// floating-point types.
    func testNonFiniteCountsMatchUpstreamBits() throws {
        let record = try VerifyFixtures.json("safetensors/casts.json")
        let checkpoint = try Checkpoint.open(try VerifyFixtures.path("safetensors/casts.safetensors"))
        var sawNonFinite = 0
        for case let element in try XCTUnwrap(record["elementwise"]?.arrayValue) {
            let name = try XCTUnwrap(element["name"]?.stringValue)
            let bits = try XCTUnwrap(element["bits"]?.arrayValue).map { UInt64($0.stringValue!.dropFirst(2), radix: 16)! }
            let values: [Double]
            switch element["torch_dtype"]?.stringValue {
            case "torch.float32": values = bits.map { Double(Float(bitPattern: UInt32($0))) }
            case "torch.float64": values = bits.map { Double(bitPattern: $0) }
            case "torch.float16": values = bits.map { Double(Float16(bitPattern: UInt16($0))) }
            case "torch.bfloat16": values = bits.map { Double(Float(bitPattern: UInt32($0) << 16)) }
            default: XCTFail("unknown dtype in \(name)"); continue
            }
            let nan = values.filter(\.isNaN).count
            let pos = values.filter { $0 == .infinity }.count
            let neg = values.filter { $0 == -.infinity }.count
            let first = values.firstIndex { !$0.isFinite }
            let scan = try TensorScan.scan(try XCTUnwrap(checkpoint[name], name))
            if nan + pos + neg == 0 {
                XCTAssertNil(scan.nonFinite, name)
            } else {
                sawNonFinite += 1
                XCTAssertEqual(scan.nonFinite?.nan, nan, "\(name) NaN")
                XCTAssertEqual(scan.nonFinite?.positiveInfinity, pos, "\(name) +Inf")
                XCTAssertEqual(scan.nonFinite?.negativeInfinity, neg, "\(name) -Inf")
                XCTAssertEqual(scan.nonFinite?.firstIndex, first, "\(name) first index")
            }
            XCTAssertEqual(scan.allZeros, values.allSatisfy { $0 == 0 }, "\(name) all zeros")
        }
        XCTAssertGreaterThan(sawNonFinite, 0, "casts.safetensors holds non-finite values")
    }

    /// Tensors longer than the scan's vector blocks, with non-finite values only in later blocks, at
    /// block edges and in the last element, for each scanned dtype: counts and first index match Swift's
    /// own classification of the same bit patterns; a tensor of only ±0 is all zeros.
    func testNonFiniteBeyondTheFirstBlock() throws {
        let n = 10_000
        let places = [4095, 4096, 8191, 9_000, n - 1]
        func check(_ dtype: DType, _ bits: [UInt64], width: Int, classify: (UInt64) -> Double) throws {
            let bytes = bits.flatMap { b in (0..<width).map { UInt8(truncatingIfNeeded: b >> (8 * $0)) } }
            let entry = TensorEntry(name: "t", dtype: dtype, shape: [bits.count], segments: [.memory(bytes)], sourcePath: "<memory>")
            let values = bits.map(classify)
            let scan = try TensorScan.scan(entry)
            XCTAssertEqual(scan.nonFinite?.nan ?? 0, values.filter(\.isNaN).count, "\(dtype) NaN")
            XCTAssertEqual(scan.nonFinite?.positiveInfinity ?? 0, values.filter { $0 == .infinity }.count, "\(dtype) +Inf")
            XCTAssertEqual(scan.nonFinite?.negativeInfinity ?? 0, values.filter { $0 == -.infinity }.count, "\(dtype) -Inf")
            XCTAssertEqual(scan.nonFinite?.firstIndex, values.firstIndex { !$0.isFinite }, "\(dtype) first index")
            XCTAssertEqual(scan.allZeros, values.allSatisfy { $0 == 0 }, "\(dtype) all zeros")
        }
        for withSpecials in [true, false] {
            var f32 = (0..<n).map { UInt64(Float(Double($0 % 97) - 48.5).bitPattern) }
            var f64 = (0..<n).map { (Double($0 % 89) - 44.25).bitPattern }
            var f16 = (0..<n).map { UInt64(Float16(Float($0 % 61) - 30.5).bitPattern) }
            var bf16 = (0..<n).map { UInt64(Float(Double($0 % 53) - 26.5).bitPattern >> 16) }
            if withSpecials {
                for (k, i) in places.enumerated() {
                    f32[i] = UInt64([Float.nan, .infinity, -.infinity, Float.signalingNaN, -Float.nan][k].bitPattern)
                    f64[i] = [Double.nan, .infinity, -.infinity, .signalingNaN, -Double.nan][k].bitPattern
                    f16[i] = UInt64([Float16.nan, .infinity, -.infinity, .signalingNaN, -Float16.nan][k].bitPattern)
                    bf16[i] = UInt64([Float.nan, .infinity, -.infinity, Float.signalingNaN, -Float.nan][k].bitPattern >> 16)
                }
            } else {
                // Zeros with both signs only.
                f32 = (0..<n).map { UInt64(($0 % 2 == 0 ? Float(0) : -Float(0)).bitPattern) }
                f64 = (0..<n).map { ($0 % 3 == 0 ? -Double(0) : Double(0)).bitPattern }
                f16 = (0..<n).map { UInt64(($0 % 5 == 0 ? -Float16(0) : Float16(0)).bitPattern) }
                bf16 = (0..<n).map { $0 == n - 1 ? 0x8000 : 0 }
            }
            try check(.f32, f32, width: 4) { Double(Float(bitPattern: UInt32($0))) }
            try check(.f64, f64, width: 8) { Double(bitPattern: $0) }
            try check(.f16, f16, width: 2) { Double(Float16(bitPattern: UInt16($0))) }
            try check(.bf16, bf16, width: 2) { Double(Float(bitPattern: UInt32($0) << 16)) }
        }
    }

    func testAllZerosAndUnravel() throws {
        let checkpoint = try Checkpoint.open(try VerifyFixtures.path("models/tiny/dinov2.safetensors"))
        // SYNTH.md: mask_token is all zeros; nothing else is.
        for t in checkpoint.tensors {
            XCTAssertEqual(try TensorScan.scan(t).allZeros, t.name == "mask_token", t.name)
        }
        XCTAssertEqual(TensorEntry.unravel(0, in: [2, 3]), [0, 0])
        XCTAssertEqual(TensorEntry.unravel(5, in: [2, 3]), [1, 2])
        XCTAssertEqual(TensorEntry.unravel(7, in: [2, 3, 4]), [0, 1, 3])
        XCTAssertEqual(TensorEntry.unravel(0, in: []), [])
    }

    func testDuplicateGroups() throws {
        let checkpoint = try Checkpoint.open(try VerifyFixtures.path("models/tiny/dinov2.safetensors"))
        XCTAssertEqual(try TensorScan.duplicateGroups(checkpoint.tensors, skip: ["mask_token"]), [], "synthetic tensors are distinct")
        let a = try XCTUnwrap(checkpoint["blocks.0.norm1.weight"])
        let copies = checkpoint.tensors + [a.renamed("zz.copy"), a.renamed("aa.copy")]
        XCTAssertEqual(try TensorScan.duplicateGroups(copies, skip: ["mask_token"]),
                       [["aa.copy", "blocks.0.norm1.weight", "zz.copy"]])
        // Same first and last bytes, different middle: not duplicates.
        let big = try XCTUnwrap(checkpoint["blocks.0.mlp.fc1.weight"])
        var bytes = try big.contiguousBytes()
        bytes[bytes.count / 2] ^= 1
        let nearly = VerifyFixtures.replacing(big, bytes: bytes).renamed("nearly")
        XCTAssertEqual(try TensorScan.fingerprint(big), try TensorScan.fingerprint(nearly))
        XCTAssertEqual(try TensorScan.duplicateGroups([big, nearly]), [])
    }
}
