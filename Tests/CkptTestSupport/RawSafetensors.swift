/// Builds safetensors files byte by byte, including malformed ones, without going through CkptKit's
/// writer: hostile-input tests need files no correct writer would produce.
public enum RawSafetensors {
    /// `declaredLength` (default: the header's real length) as a little-endian u64, the header bytes,
    /// then `data`.
    public static func bytes(headerBytes: [UInt8], data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
        let n = declaredLength ?? UInt64(headerBytes.count)
        var out = withUnsafeBytes(of: n.littleEndian) { Array($0) }
        out.append(contentsOf: headerBytes)
        out.append(contentsOf: data)
        return out
    }

    /// Same, with the header given as text (UTF-8).
    public static func bytes(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
        bytes(headerBytes: Array(header.utf8), data: data, declaredLength: declaredLength)
    }

    /// The header of a well-formed file: `tensors` given as (name, dtype, shape, begin, end).
    public static func header(_ tensors: [(String, String, [Int], Int, Int)], metadata: String? = nil) -> String {
        var parts: [String] = []
        if let metadata { parts.append("\"__metadata__\":\(metadata)") }
        for (name, dtype, shape, begin, end) in tensors {
            let s = shape.map(String.init).joined(separator: ",")
            parts.append("\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":[\(s)],\"data_offsets\":[\(begin),\(end)]}")
        }
        return "{" + parts.joined(separator: ",") + "}"
    }
}
