/// One tensor's entry in a safetensors header.
package struct TensorInfo: Equatable, Sendable {
    package let name: String
    package let dtype: DType
    package let shape: [Int]
    /// Byte range in the data buffer (after the header), end exclusive.
    package let begin: Int
    package let end: Int

    package var byteCount: Int { end - begin }
    /// Number of elements (1 for rank 0); validated not to overflow when the header was parsed.
    package var elementCount: Int { CkptFormat.elementCount(shape) ?? 0 }
}

/// A parsed and validated safetensors header.
package struct SafetensorsHeader: Sendable {
    /// The reference implementation's limit on the header length.
    package static let maxHeaderLength = 100_000_000
    /// The largest integer JSON readers agree on exactly (2^53).
    package static let maxExactInteger = 9_007_199_254_740_992

    /// Tensors in file (offset) order.
    package let tensors: [TensorInfo]
    /// `__metadata__` entries in written order; nil when the header has none.
    package let metadata: [(String, String)]?
    /// Header JSON length in bytes (the u64 at the start of the file).
    package let headerLength: Int
    /// File offset where tensor data starts: 8 + header length.
    package var dataStart: Int { 8 + headerLength }

    /// Parses and validates a header. `headerBytes` is the JSON text, `dataSize` the bytes after it.
    /// Throws the first problem found (the file is unusable after any of them).
    package static func parse(headerBytes: [UInt8], dataSize: Int) throws(SafetensorsProblem) -> SafetensorsHeader {
        let (header, declared) = try parseDeclaringSize(headerBytes: headerBytes)
        if declared > dataSize { throw .dataTruncated(needed: declared, available: dataSize) }
        if declared < dataSize { throw .trailingBytes(count: dataSize - declared) }
        return header
    }

    /// Every check of `parse` but the last: the header, and the data size its tensors tile. Lets a
    /// reader bound the data before it exists (`Zstd` stops decompressing there).
    static func parseDeclaringSize(headerBytes: [UInt8]) throws(SafetensorsProblem) -> (header: SafetensorsHeader, dataSize: Int) {
        guard String(validating: headerBytes, as: UTF8.self) != nil else { throw .headerNotUTF8 }
        let root: JSONValue
        do {
            root = try StrictJSONParser.parse(headerBytes)
        } catch let e as JSONError {
            // A repeated top-level key is a tensor listed twice: readers disagree on which entry wins.
            if let name = e.duplicateKey, e.depth == 1 { throw .duplicateTensor(name: name, offset: e.offset) }
            throw .headerNotJSON(e)
        } catch {
            throw .headerNotJSON(JSONError(offset: 0, message: "\(error)"))
        }
        guard case let .object(members) = root else { throw .headerNotObject(found: root.kindName) }

        var metadata: [(String, String)]? = nil
        var tensors: [TensorInfo] = []
        tensors.reserveCapacity(members.count)
        for (name, value) in members {
            if name == "__metadata__" {
                guard case let .object(entries) = value else { throw .metadataNotObject(found: value.kindName) }
                var pairs: [(String, String)] = []
                for (key, v) in entries {
                    guard case let .string(s) = v else { throw .metadataValueNotString(key: key, found: v.kindName) }
                    pairs.append((key, s))
                }
                metadata = pairs
                continue
            }
            tensors.append(try parseTensor(name: name, value))
        }

        // Tensors must tile the data buffer exactly, in offset order, with no hole or overlap.
        tensors.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var cursor = 0
        var previous: TensorInfo? = nil
        for t in tensors {
            if t.begin > cursor { throw .gap(tensor: t.name, begin: t.begin, expected: cursor) }
            if t.begin < cursor, let p = previous {
                throw .overlap(tensor: t.name, begin: t.begin, end: t.end, other: p.name, otherEnd: cursor)
            }
            cursor = t.end
            previous = t
        }
        return (SafetensorsHeader(tensors: tensors, metadata: metadata, headerLength: headerBytes.count), cursor)
    }

    private static func integer(_ value: JSONValue, tensor: String, field: String) throws(SafetensorsProblem) -> Int {
        guard case let .number(text) = value else {
            throw .invalidFieldType(tensor: tensor, field: field, expected: "a non-negative integer", found: value.kindName)
        }
        if text.hasPrefix("-") {
            throw .invalidInteger(tensor: tensor, field: field, text: text, reason: "negative")
        }
        if text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) {
            throw .invalidInteger(tensor: tensor, field: field, text: text, reason: "not an integer")
        }
        guard let n = Int(text), n <= maxExactInteger else {
            throw .invalidInteger(tensor: tensor, field: field, text: text, reason: "larger than 2^53")
        }
        return n
    }

    private static func parseTensor(name: String, _ value: JSONValue) throws(SafetensorsProblem) -> TensorInfo {
        guard case let .object(fields) = value else { throw .tensorNotObject(tensor: name, found: value.kindName) }
        for (key, _) in fields where !["dtype", "shape", "data_offsets"].contains(key) {
            throw .unexpectedField(tensor: name, field: key)
        }
        guard let dtypeValue = value["dtype"] else { throw .missingField(tensor: name, field: "dtype") }
        guard let shapeValue = value["shape"] else { throw .missingField(tensor: name, field: "shape") }
        guard let offsetsValue = value["data_offsets"] else { throw .missingField(tensor: name, field: "data_offsets") }

        guard case let .string(dtypeName) = dtypeValue else {
            throw .invalidFieldType(tensor: name, field: "dtype", expected: "a string", found: dtypeValue.kindName)
        }
        guard let dtype = DType(rawValue: dtypeName) else { throw .unknownDType(tensor: name, dtype: dtypeName) }
        guard case let .array(dims) = shapeValue else {
            throw .invalidFieldType(tensor: name, field: "shape", expected: "an array of integers", found: shapeValue.kindName)
        }
        var shape: [Int] = []
        shape.reserveCapacity(dims.count)
        for d in dims { shape.append(try integer(d, tensor: name, field: "shape")) }
        guard case let .array(offsets) = offsetsValue, offsets.count == 2 else {
            throw .invalidFieldType(tensor: name, field: "data_offsets", expected: "an array of two integers", found: offsetsValue.kindName)
        }
        let begin = try integer(offsets[0], tensor: name, field: "data_offsets")
        let end = try integer(offsets[1], tensor: name, field: "data_offsets")
        guard begin <= end else { throw .offsetsReversed(tensor: name, begin: begin, end: end) }
        guard let needed = dtype.byteCount(for: shape) else { throw .sizeOverflow(tensor: name, shape: shape, dtype: dtype) }
        guard needed == end - begin else {
            throw .byteCountMismatch(tensor: name, begin: begin, end: end, shape: shape, dtype: dtype, needed: needed)
        }
        return TensorInfo(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }
}
