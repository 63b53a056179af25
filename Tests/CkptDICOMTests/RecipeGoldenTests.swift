import CkptFormat
import CkptImage
import CkptTestSupport
import Foundation
import XCTest

@testable import CkptDICOM

/// The card recipe against SimpleITK 2.5.7's own outputs (golden/gen/dicom_recipe.py): every committed input
/// (the image exactly as SimpleITK read it) at every recorded size and side, compared pixel for pixel.
final class RecipeGoldenTests: XCTestCase {
    static let directory = PackagePaths.golden + "/dicom/expected/recipe"

    struct Output {
        let size: Int
        let side: CardRecipe.Side
        let width: Int
        let height: Int
        let sha256: String
        let png: String?
        let intermediates: String?
        let rescaleMinimum: Double
        let rescaleMaximum: Double
    }

    struct Case {
        let name: String
        let input: String?
        let pixelType: DICOMPixelType
        let width: Int
        let height: Int
        let outputs: [Output]
    }

    /// `cases.json`, read with the core's JSON parser (its numbers are exact: Foundation's parser rounds some
    /// doubles off by an ulp).
    static func cases() throws -> [Case] {
        let root = try StrictJSONParser.parse(FileSystem.readSmallFile(directory + "/cases.json"))
        return root["cases"]!.arrayValue!.map { (c: JSONValue) -> Case in
            let outputs = c["outputs"]!.arrayValue!.map(output)
            return Case(
                name: c["case"]!.stringValue!,
                input: c["input"]?["file"]?.stringValue,
                pixelType: DICOMPixelType(rawValue: c["pixel_type"]!.stringValue!)!,
                width: c["width"]!.intValue!, height: c["height"]!.intValue!, outputs: outputs)
        }
    }

    static func output(_ o: JSONValue) -> Output {
        Output(size: o["size"]!.intValue!, side: CardRecipe.Side(rawValue: o["side"]!.stringValue!)!,
               width: o["width"]!.intValue!, height: o["height"]!.intValue!, sha256: o["sha256"]!.stringValue!,
               png: o["png"]?.stringValue, intermediates: o["intermediates"]?.stringValue,
               rescaleMinimum: o["rescale_minimum"]!.doubleValue!, rescaleMaximum: o["rescale_maximum"]!.doubleValue!)
    }

    /// `input.safetensors`: `pixels` [H, W] in the ITK pixel type, `geometry` [sx, sy, ox, oy, d00, d01, d10, d11].
    static func loadInput(_ file: String, pixelType: DICOMPixelType) throws -> DICOMImage {
        let st = try SafetensorsFile(path: directory + "/" + file)
        let pixels = st.info("pixels")!, geometry = st.info("geometry")!
        let values = try Self.values(st, tensor: "pixels")
        let g = try Self.values(st, tensor: "geometry")
        XCTAssertEqual(geometry.shape, [8], file)
        return DICOMImage(width: pixels.shape[1], height: pixels.shape[0], pixelType: pixelType, values: values,
                          spacing: [g[0], g[1]], origin: [g[2], g[3]], direction: Array(g[4..<8]))
    }

    static func pngPixels(_ file: String) throws -> (width: Int, height: Int, pixels: [UInt8]) {
        let decoded = try ImageDecoder.decode(contentsOf: directory + "/" + file)
        XCTAssertEqual(decoded.mode, .gray, file)
        return (decoded.width, decoded.height, decoded.nativeSamples!)
    }

    /// Every committed input at every recorded (size, side): same output size, same 8-bit pixels as SimpleITK's
    /// PNG and hash. The count of differing pixels is in the failure message.
    func testEveryCommittedCaseIsBitExact() throws {
        var checked = 0
        for c in try Self.cases() {
            guard let input = c.input else { continue }
            let image = try Self.loadInput(input, pixelType: c.pixelType)
            XCTAssertEqual(image.width, c.width, c.name)
            XCTAssertEqual(image.height, c.height, c.name)
            for o in c.outputs {
                let label = "\(c.name) \(o.size)-\(o.side.rawValue)"
                let out = try CardRecipe(size: o.size, side: o.side).prepare(image, source: label)
                XCTAssertEqual(out.width, o.width, label)
                XCTAssertEqual(out.height, o.height, label)
                XCTAssertEqual(sha256Hex(out.pixels), o.sha256, label)
                if let png = o.png {
                    let expected = try Self.pngPixels(png)
                    XCTAssertEqual(expected.width, o.width, label)
                    let differing = zip(out.pixels, expected.pixels).filter { $0 != $1 }.count
                    XCTAssertEqual(differing, 0, "\(label): \(differing) of \(expected.pixels.count) pixels differ")
                }
                checked += 1
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 20)
    }

    /// The resample stage alone (before the rescale) equals SimpleITK's resampled image (after its cast to the
    /// pixel type and the clamp), and the rescale's min/max are SimpleITK's: a failure says which stage broke.
    func testIntermediatesMatchSimpleITK() throws {
        var checked = 0
        for c in try Self.cases() {
            guard let input = c.input else { continue }
            let image = try Self.loadInput(input, pixelType: c.pixelType)
            for o in c.outputs {
                guard let file = o.intermediates else { continue }
                let label = "\(c.name) \(o.size)-\(o.side.rawValue)"
                let recipe = CardRecipe(size: o.size, side: o.side)
                let coefficients = BSplineDecomposition.coefficients(image.values, width: image.width, height: image.height)
                var resampled = BSplineResampler(
                    image: image, factor: recipe.factor(width: image.width, height: image.height),
                    outputWidth: o.width, outputHeight: o.height
                ).resample(coefficients)
                IntensityRescale.clamp(&resampled, to: IntensityRescale.minimumMaximum(image.values))
                let st = try SafetensorsFile(path: Self.directory + "/" + file)
                let expected = try Self.values(st, tensor: "resampled")
                let differing = zip(resampled, expected).filter { $0 != $1 }.count
                XCTAssertEqual(differing, 0, "\(label): \(differing) resampled values differ")
                XCTAssertEqual(Double(resampled.map { Float($0) }.min()!), o.rescaleMinimum, label)
                XCTAssertEqual(Double(resampled.map { Float($0) }.max()!), o.rescaleMaximum, label)
                checked += 1
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 10)
    }

    /// A tensor's values as Double, whatever its (integer or float) dtype.
    static func values(_ st: SafetensorsFile, tensor: String) throws -> [Double] {
        let info = st.info(tensor)!
        func load<T>(_: T.Type, _ convert: @escaping (T) -> Double) -> (UnsafeRawBufferPointer) -> [Double] {
            { raw in
                stride(from: 0, to: raw.count, by: MemoryLayout<T>.size).map {
                    convert(raw.loadUnaligned(fromByteOffset: $0, as: T.self))
                }
            }
        }
        switch info.dtype {
        case .u8: return try st.withBytes(of: info, load(UInt8.self) { Double($0) })
        case .i8: return try st.withBytes(of: info, load(Int8.self) { Double($0) })
        case .u16: return try st.withBytes(of: info, load(UInt16.self) { Double($0) })
        case .i16: return try st.withBytes(of: info, load(Int16.self) { Double($0) })
        case .u32: return try st.withBytes(of: info, load(UInt32.self) { Double($0) })
        case .i32: return try st.withBytes(of: info, load(Int32.self) { Double($0) })
        case .f32: return try st.withBytes(of: info, load(Float.self) { Double($0) })
        case .f64: return try st.withBytes(of: info, load(Double.self) { $0 })
        default: throw CkptError.unsupportedInput(path: st.path, reason: "dtype \(info.dtype) in \(tensor)")
        }
    }
}
