import CkptTestSupport
import Foundation
import CkptKit
@testable import CkptPth

/// Golden `.pth` fixtures written by `torch.save`: `golden/pth/` (the shared generator) and
/// `golden/pth-extra/` (this area's generator). Until the lead commits `golden/pth/`, it is read from
/// the lead's checkout at `/work/main/golden/pth` (or `$CKPT_GOLDEN/pth`).
enum PthGolden {
    static var repoRoot: String { PackagePaths.root }

    static func directory(_ name: String) -> String? {
        var candidates = [repoRoot + "/golden/" + name]
        if let env = ProcessInfo.processInfo.environment["CKPT_GOLDEN"] { candidates.insert(env + "/" + name, at: 0) }
        candidates.append("/work/main/golden/" + name)
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/" + name + ".json") }
    }

    /// `pth.json` / `pth-extra.json` of `name`, with its folder.
    static func manifest(_ name: String) throws -> (dir: String, json: JSONValue) {
        guard let dir = directory(name) else { throw MissingFixture(path: "golden/\(name)/\(name).json") }
        let bytes = try FileSystem.readSmallFile(dir + "/" + name + ".json")
        return (dir, try StrictJSONParser.parse(bytes))
    }

    /// The fixture manifest is in none of the places `directory` looks.
    struct MissingFixture: Error, CustomStringConvertible {
        let path: String
        var description: String { "\(path) not found (run golden/generate.py)" }
    }

    /// One expected tensor: torch's name with `/` between levels, dtype, shape, sha256.
    struct Tensor {
        let path: String
        let dtype: String
        let shape: [Int]
        let sha256: String

        /// The flattened name ckpt gives it (`teacher/backbone.x` → `teacher.backbone.x`).
        var name: String { path.replacingOccurrences(of: "/", with: ".") }
        /// Reached through a list index or an integer key (a purely numeric path component), which
        /// the reader skips with a note.
        var underListOrIntKey: Bool { path.split(separator: "/").contains { $0.allSatisfy(\.isNumber) } }
    }

    static func tensors(_ record: JSONValue) -> [Tensor] {
        (record["tensors"]?.arrayValue ?? []).map { t in
            Tensor(path: t["name"]!.stringValue!, dtype: t["dtype"]!.stringValue!,
                   shape: t["shape"]!.arrayValue!.map { $0.intValue! }, sha256: t["sha256"]!.stringValue!)
        }
    }

    /// torch dtype spelling → safetensors spelling.
    static let dtypes: [String: DType] = [
        "float32": .f32, "float16": .f16, "bfloat16": .bf16, "float64": .f64, "int64": .i64, "int32": .i32,
        "int16": .i16, "int8": .i8, "uint8": .u8, "bool": .bool, "uint16": .u16, "uint32": .u32, "uint64": .u64,
        "float8_e4m3fn": .f8e4m3, "float8_e5m2": .f8e5m2,
    ]

    static func sha256Hex(_ bytes: [UInt8]) -> String {
        CkptTestSupport.sha256Hex(bytes)
    }
}
