import CkptDICOM
import FuzzSupport
#if canImport(Glibc)
import Glibc
#endif

// libFuzzer target over DICOM files: the dataset parser (file meta, explicit/implicit VR, both
// endians, sequences, deflate) and every pixel codec (native, RLE, JPEG lossless, JPEG baseline,
// 12-bit JPEG DCT, JPEG-LS, JPEG 2000).
// Input: byte 0 selects the form. 0...127: the rest is a whole DICOM file. 128...255: the rest is one
// compressed frame, wrapped in a fixed 16-bit (or 8-bit) MONOCHROME2 header of the transfer syntax
// `codecs[b % codecs.count]`, with rows and columns from the next two bytes: codec paths are reached
// without the fuzzer having to build a dataset first.
// Invariants:
//  - every refusal is a DICOMProblem whose message starts with the path (never a crash);
//  - an accepted image has 1 ≤ width × height ≤ the pixel limit and one value per pixel, each finite
//    and, for integer pixel types, an integer inside the type's range;
//  - the same bytes with a limit one pixel below the image are refused as tooManyPixels.

/// Small enough that a lying header cannot make a fuzz run allocate much.
let maxPixels = 1 << 20

let codecs = [
    "1.2.840.10008.1.2.5", "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.4.51",
]

func element(_ group: UInt16, _ element: UInt16, _ vr: String, _ value: [UInt8], undefined: Bool = false) -> [UInt8] {
    var out: [UInt8] = []
    func le<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
    le(group); le(element)
    out.append(contentsOf: Array(vr.utf8))
    let n: UInt32 = undefined ? 0xFFFF_FFFF : UInt32(value.count)
    if ["OB", "OW", "SQ", "UN"].contains(vr) { le(UInt16(0)); le(n) } else { le(UInt16(n)) }
    return out + value
}

/// A Part 10 file around one frame of `syntax`.
func wrap(_ frame: ArraySlice<UInt8>, syntax: String, rows: UInt16, columns: UInt16, bits: UInt16) -> [UInt8] {
    var uid = Array(syntax.utf8)
    if uid.count % 2 == 1 { uid.append(0) }
    func us(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    var dataset = element(0x0028, 0x0004, "CS", Array("MONOCHROME2 ".utf8))
        + element(0x0028, 0x0010, "US", us(rows)) + element(0x0028, 0x0011, "US", us(columns))
        + element(0x0028, 0x0100, "US", us(bits)) + element(0x0028, 0x0101, "US", us(bits))
        + element(0x0028, 0x0102, "US", us(bits - 1)) + element(0x0028, 0x0103, "US", us(0))
    if syntax.hasSuffix(".99") {
        // Deflated: the frame is the deflated dataset itself.
        return [UInt8](repeating: 0, count: 128) + Array("DICM".utf8) + element(0x0002, 0x0010, "UI", uid) + Array(frame)
    }
    var fragment = Array(frame)
    if fragment.count % 2 == 1 { fragment.append(0) }
    let item: ([UInt8]) -> [UInt8] = { v in [0xFE, 0xFF, 0x00, 0xE0] + withUnsafeBytes(of: UInt32(v.count).littleEndian, Array.init) + v }
    dataset += element(0x7FE0, 0x0010, "OB", [], undefined: true) + item([]) + item(fragment) + [0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]
    return [UInt8](repeating: 0, count: 128) + Array("DICM".utf8) + element(0x0002, 0x0010, "UI", uid) + dataset
}

func read(_ bytes: [UInt8], limit: Int) -> Result<DICOMFile, DICOMProblem> {
    do {
        return .success(try bytes.withUnsafeBytes { try DICOMReader.read(bytes: $0, path: "fuzz", maxPixels: limit) })
    } catch let problem as DICOMProblem {
        precondition(problem.description.hasPrefix("fuzz: "), "message without the path: \(problem)")
        return .failure(problem)
    } catch {
        fatalError("not a DICOMProblem: \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDICOM(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard let mode = input.first else { return 0 }
    let bytes: [UInt8]
    if mode < 128 {
        bytes = Array(input.dropFirst())
    } else {
        guard input.count >= 3 else { return 0 }
        let syntax = codecs[Int(mode) % codecs.count]
        let bits: UInt16 = syntax.hasSuffix(".50") ? 8 : 16
        bytes = wrap(input[3...], syntax: syntax, rows: UInt16(input[1] % 64) + 1, columns: UInt16(input[2] % 64) + 1, bits: bits)
    }
    guard case let .success(file) = read(bytes, limit: maxPixels) else { return 0 }
    let image = file.image
    let pixels = image.width * image.height
    precondition(pixels >= 1 && pixels <= maxPixels && image.values.count == pixels, "accepted \(image.width)×\(image.height)")
    if let range = image.pixelType.integerRange {
        precondition(image.values.allSatisfy { range.contains($0) && $0 == $0.rounded() }, "a value outside \(image.pixelType)")
    } else {
        precondition(image.values.allSatisfy(\.isFinite), "a non-finite value")
    }
    switch read(bytes, limit: pixels - 1) {
    case .failure(.tooManyPixels): break
    case let other: fatalError("a limit below \(pixels) pixels gave \(other)")
    }
    return 0
}

exit(runFuzzer(fuzzDICOM))
