import Foundation

/// One tensor as recorded by the golden generator from the Python-written file.
public struct GoldenTensor {
    public let name: String
    public let dtype: String
    public let shape: [Int]
    public let begin: Int
    public let end: Int
    /// SHA-256 of the tensor's raw little-endian bytes.
    public let sha256: String
}

/// A golden JSON record of one safetensors file (`golden/safetensors/<name>.json`): its hash, size,
/// metadata and tensors in file order, as written by `safetensors.torch.save_file`.
public struct GoldenFile {
    public let raw: [String: Any]
    public let file: String
    public let sha256: String
    public let size: Int
    public let metadata: [String: String]?
    /// Tensors in file order.
    public let tensors: [GoldenTensor]

    /// Loads `golden/safetensors/<jsonName>`.
    public init(_ jsonName: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: PackagePaths.goldenSafetensors(jsonName)))
        try self.init(record: try JSONSerialization.jsonObject(with: data) as! [String: Any])
    }

    /// Reads a file record (also used for the shards inside `sharded.json`).
    public init(record: [String: Any]) throws {
        raw = record
        file = record["file"] as! String
        sha256 = record["sha256"] as! String
        size = record["size"] as! Int
        metadata = record["metadata"] as? [String: String]
        tensors = (record["tensors"] as! [[String: Any]]).map { t in
            let offsets = t["data_offsets"] as! [Int]
            return GoldenTensor(name: t["name"] as! String, dtype: t["dtype"] as! String, shape: t["shape"] as! [Int],
                                begin: offsets[0], end: offsets[1], sha256: t["sha256"] as! String)
        }
    }

    /// Loads any golden JSON document as Foundation objects.
    public static func json(_ name: String) throws -> Any {
        let data = try Data(contentsOf: URL(fileURLWithPath: PackagePaths.goldenSafetensors(name)))
        return try JSONSerialization.jsonObject(with: data)
    }
}

extension GoldenFile {
    /// Header length recorded by the generator.
    public var headerLength: Int { raw["header_len"] as! Int }

    /// The raw bytes of `tensor`, sliced from the Python-written file by the recorded offsets, without
    /// going through CkptKit's reader.
    public func bytes(of tensor: GoldenTensor, in path: String) throws -> [UInt8] {
        let all = try readBytes(path)
        let start = 8 + headerLength
        return Array(all[(start + tensor.begin)..<(start + tensor.end)])
    }

    /// What the interop check must find for every tensor of this file.
    public func expected(from path: String) throws -> [InteropExport.Expected] {
        try tensors.map { .init(name: $0.name, dtype: $0.dtype, shape: $0.shape, bytes: try bytes(of: $0, in: path)) }
    }

    public subscript(name: String) -> GoldenTensor? { tensors.first { $0.name == name } }
}
