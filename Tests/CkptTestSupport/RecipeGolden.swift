import CkptDICOM
import CkptCore
import CkptImage
import Foundation

/// The card recipe's golden data (golden/dicom/expected/recipe, written by golden/gen/dicom_recipe.py with
/// SimpleITK 2.5.7): the cases, their inputs as SimpleITK read them, and the expected PNGs.
public enum RecipeGolden {
    public static let directory = PackagePaths.golden + "/dicom/expected/recipe"

    public struct Output {
        public let size: Int
        public let side: CardRecipe.Side
        public let width: Int
        public let height: Int
        public let sha256: String
        public let png: String?
        public let intermediates: String?
        public let rescaleMinimum: Double
        public let rescaleMaximum: Double
    }

    public struct Case {
        public let name: String
        /// The file the image was read from (pydicom's test files or pydicom-data), or `synthetic:<name>`.
        public let source: String?
        public let input: String?
        /// False for a lossy source, whose decode may differ between codec builds.
        public let lossless: Bool
        public let pixelType: DICOMPixelType
        public let width: Int
        public let height: Int
        public let outputs: [Output]
    }

    /// `cases.json`, read with the core's JSON parser (its numbers are exact: Foundation's parser rounds some
    /// doubles off by an ulp).
    public static func cases() throws -> [Case] {
        let root = try StrictJSONParser.parse(FileSystem.readSmallFile(directory + "/cases.json"))
        return root["cases"]!.arrayValue!.map { (c: JSONValue) -> Case in
            let outputs = c["outputs"]!.arrayValue!.map(output)
            return Case(
                name: c["case"]!.stringValue!, source: c["source"]?.stringValue,
                input: c["input"]?["file"]?.stringValue, lossless: c["lossless"]?.boolValue ?? true,
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
    public static func loadInput(_ file: String, pixelType: DICOMPixelType) throws -> DICOMImage {
        let st = try SafetensorsFile(path: directory + "/" + file)
        let pixels = st.info("pixels")!, geometry = st.info("geometry")!
        let values = try Self.values(st, tensor: "pixels")
        let g = try Self.values(st, tensor: "geometry")
        guard geometry.shape == [8] else { throw CkptError.unsupportedInput(path: file, reason: "geometry is not [8]") }
        return DICOMImage(width: pixels.shape[1], height: pixels.shape[0], pixelType: pixelType, values: values,
                          spacing: [g[0], g[1]], origin: [g[2], g[3]], direction: Array(g[4..<8]))
    }

    /// The 8-bit samples of a golden PNG (decoded by CkptImage, which reads it as PIL's "L").
    public static func pngPixels(_ file: String) throws -> (width: Int, height: Int, pixels: [UInt8]) {
        let decoded = try ImageDecoder.decode(contentsOf: directory + "/" + file)
        guard decoded.mode == .gray, let samples = decoded.nativeSamples else {
            throw CkptError.unsupportedInput(path: file, reason: "not an 8-bit grayscale PNG")
        }
        return (decoded.width, decoded.height, samples)
    }

    /// A tensor's values as Double, whatever its (integer or float) dtype.
    package static func values(_ st: SafetensorsFile, tensor: String) throws -> [Double] {
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
