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
    package var elementCount: Int { CkptCore.elementCount(shape) ?? 0 }
}

/// A parsed and validated safetensors header.
///
/// The JSON text is read member by member straight from the caller's bytes (the mapped file): each
/// tensor entry becomes a `TensorInfo` as soon as it is read, and no tree of the whole header is built.
/// Memory is therefore proportional to the tensors listed, which `maxTensors` bounds before anything
/// past the limit is read; see docs/hardening.md for the numbers.
package struct SafetensorsHeader: Sendable {
    /// The reference implementation's limit on the header length.
    package static let maxHeaderLength = 100_000_000
    /// The largest integer JSON readers agree on exactly (2^53).
    package static let maxExactInteger = 9_007_199_254_740_992
    /// Most tensors one header may list. Real checkpoints list at most a few thousand per file (a
    /// ViT-g/14 about 600). What a listed tensor costs downstream (entries, layout analysis, reports:
    /// about 0.6 KiB in `verify --strict`) makes this the number that keeps a header of tiny tensors
    /// within the hostile-input memory bound: 43 MiB at 32,768 tensors, 63.5 MiB at 65,536; a header of
    /// a million one-byte tensors (70 MB) took 787 MiB before it was refused here.
    package static let maxTensors = 32_768
    /// Most `__metadata__` entries (writers store a handful: `format`, sometimes a config string).
    package static let maxMetadataEntries = 32_768
    /// Most dimensions of one shape: NumPy 2's limit (`NPY_MAXDIMS`), beyond which no Python reader
    /// can load the tensor; torch checkpoints use at most 5.
    package static let maxRank = 64

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
        try checkDataSize(try parseDeclaringSize(headerBytes: headerBytes), dataSize)
    }

    /// `parse` over bytes lent by the caller (a mapped file's header), which are not copied.
    package static func parse(header: UnsafeRawBufferPointer, dataSize: Int) throws(SafetensorsProblem) -> SafetensorsHeader {
        try checkDataSize(try parseDeclaringSize(header: header), dataSize)
    }

    private static func checkDataSize(_ parsed: (header: SafetensorsHeader, dataSize: Int), _ dataSize: Int) throws(SafetensorsProblem) -> SafetensorsHeader {
        if parsed.dataSize > dataSize { throw .dataTruncated(needed: parsed.dataSize, available: dataSize) }
        if parsed.dataSize < dataSize { throw .trailingBytes(count: dataSize - parsed.dataSize) }
        return parsed.header
    }

    /// Every check of `parse` but the last: the header, and the data size its tensors tile. Lets a
    /// reader bound the data before it exists (`Zstd` stops decompressing there).
    static func parseDeclaringSize(headerBytes: [UInt8]) throws(SafetensorsProblem) -> (header: SafetensorsHeader, dataSize: Int) {
        do {
            return try headerBytes.withUnsafeBytes { try parseDeclaringSize(header: $0) }
        } catch let problem as SafetensorsProblem {
            throw problem
        } catch {
            preconditionFailure("parseDeclaringSize throws only SafetensorsProblem: \(error)")
        }
    }

    static func parseDeclaringSize(header: UnsafeRawBufferPointer) throws(SafetensorsProblem) -> (header: SafetensorsHeader, dataSize: Int) {
        var tensors: [TensorInfo], metadata: [(String, String)]?
        do {
            (tensors, metadata) = try StrictJSONParser.withParser(header) { try HeaderReader.read(&$0) }
        } catch let problem as SafetensorsProblem {
            throw problem
        } catch let e as JSONError {
            // A repeated top-level key is a tensor listed twice: readers disagree on which entry wins.
            if let name = e.duplicateKey, e.depth == 1 { throw .duplicateTensor(name: name, offset: e.offset) }
            if e.isInvalidUTF8 { throw .headerNotUTF8 }
            throw .headerNotJSON(e)
        } catch {
            throw .headerNotJSON(JSONError(offset: 0, message: "\(error)"))
        }
        // Tensors must tile the data buffer exactly, in offset order, with no hole or overlap.
        var sorted = tensors
        tensors = []  // sorted in place: one array of entries at a time
        sorted.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var cursor = 0
        var previous: TensorInfo? = nil
        for t in sorted {
            if t.begin > cursor { throw .gap(tensor: t.name, begin: t.begin, expected: cursor) }
            if t.begin < cursor, let p = previous {
                throw .overlap(tensor: t.name, begin: t.begin, end: t.end, other: p.name, otherEnd: cursor)
            }
            cursor = t.end
            previous = t
        }
        return (SafetensorsHeader(tensors: sorted, metadata: metadata, headerLength: header.count), cursor)
    }
}

/// Reads a header's JSON member by member with `StrictJSONParser`'s steps.
///
/// Problems are reported in the order a whole-document parse followed by a check of each member would
/// find them: a JSON error anywhere wins over a problem with a tensor entry, so after the first such
/// problem the rest of the header is still read (checked, not kept) and the problem is thrown at the
/// end. The limits are the exception: they stop reading at once, which is their point.
private enum HeaderReader {
    /// One element of a `shape` or `data_offsets` array: a number's text, or the kind of anything else.
    enum Item {
        case number(String)
        case other(kind: String)
    }

    /// The dtype field: a string's text, or the kind of anything else.
    enum DTypeField {
        case text(String)
        case other(kind: String)
    }

    /// A field value that must be an array: its first items (up to a limit) and how many there were,
    /// or the kind of the non-array found instead.
    enum ArrayField {
        case array(items: [Item], count: Int)
        case other(kind: String)
    }

    static func read(_ parser: inout StrictJSONParser) throws -> ([TensorInfo], [(String, String)]?) {
        guard parser.peek() == UInt8(ascii: "{") else {
            // Not an object: check it (a JSON error in it wins) without building it, then name its kind.
            let kind = parser.nextKindName()
            try parser.skipValue()
            try parser.finish()
            throw SafetensorsProblem.headerNotObject(found: kind)
        }
        try parser.beginObject()
        var tensors: [TensorInfo] = []
        var metadata: [(String, String)]? = nil
        var names = Set<String>()
        var first = true
        var deferred: SafetensorsProblem? = nil
        var tensorCount = 0
        while let name = try parser.nextKey(first: &first, seen: &names) {
            if name != "__metadata__" {
                // Decided before the entry is read: nothing past the limit is parsed or kept.
                tensorCount += 1
                guard tensorCount <= SafetensorsHeader.maxTensors else {
                    throw SafetensorsProblem.tooManyTensors(limit: SafetensorsHeader.maxTensors)
                }
            }
            let start = parser.position, depth = parser.depth
            if deferred != nil {
                try parser.skipValue()
                continue
            }
            do {
                if name == "__metadata__" {
                    metadata = try readMetadata(&parser)
                } else {
                    tensors.append(try readTensor(name, &parser))
                }
            } catch let problem as SafetensorsProblem {
                if case .tooManyMetadataEntries = problem { throw problem }
                deferred = problem
                parser.rewind(to: start, depth: depth)
                try parser.skipValue()
            }
        }
        try parser.finish()
        if let deferred { throw deferred }
        return (tensors, metadata)
    }

    static func readMetadata(_ parser: inout StrictJSONParser) throws -> [(String, String)] {
        guard parser.peek() == UInt8(ascii: "{") else { throw SafetensorsProblem.metadataNotObject(found: parser.nextKindName()) }
        try parser.beginObject()
        var pairs: [(String, String)] = []
        var seen = Set<String>()
        var first = true
        while let key = try parser.nextKey(first: &first, seen: &seen) {
            guard pairs.count < SafetensorsHeader.maxMetadataEntries else {
                throw SafetensorsProblem.tooManyMetadataEntries(limit: SafetensorsHeader.maxMetadataEntries)
            }
            guard parser.peek() == UInt8(ascii: "\"") else {
                throw SafetensorsProblem.metadataValueNotString(key: key, found: parser.nextKindName())
            }
            pairs.append((key, try parser.parseString()))
        }
        return pairs
    }

    /// An array's first `limit` items and its length, the rest checked but not kept.
    static func readArray(_ parser: inout StrictJSONParser, limit: Int) throws -> ArrayField {
        guard parser.peek() == UInt8(ascii: "[") else {
            let kind = parser.nextKindName()
            try parser.skipValue()
            return .other(kind: kind)
        }
        try parser.beginArray()
        var items: [Item] = []
        var count = 0
        var first = true
        while try parser.nextElement(first: &first) {
            count += 1
            guard count <= limit else {
                try parser.skipValue()
                continue
            }
            switch parser.peek() {
            case UInt8(ascii: "-")?, (UInt8(ascii: "0")...UInt8(ascii: "9"))?:
                items.append(.number(try parser.parseNumber()))
            default:
                let kind = parser.nextKindName()
                try parser.skipValue()
                items.append(.other(kind: kind))
            }
        }
        return .array(items: items, count: count)
    }

    static func readTensor(_ name: String, _ parser: inout StrictJSONParser) throws -> TensorInfo {
        guard parser.peek() == UInt8(ascii: "{") else { throw SafetensorsProblem.tensorNotObject(tensor: name, found: parser.nextKindName()) }
        try parser.beginObject()
        var dtypeField: DTypeField? = nil
        var shapeField: ArrayField? = nil
        var offsetsField: ArrayField? = nil
        var seen = FewJSONKeys()
        var first = true
        while let key = try parser.nextKey(first: &first, seen: &seen) {
            switch key {
            case "dtype":
                if parser.peek() == UInt8(ascii: "\"") {
                    dtypeField = .text(try parser.parseString())
                } else {
                    dtypeField = .other(kind: parser.nextKindName())
                    try parser.skipValue()
                }
            case "shape": shapeField = try readArray(&parser, limit: SafetensorsHeader.maxRank)
            case "data_offsets": offsetsField = try readArray(&parser, limit: 2)
            default: throw SafetensorsProblem.unexpectedField(tensor: name, field: key)
            }
        }
        return try tensorInfo(name, dtypeField, shapeField, offsetsField)
    }

    /// The checks of one entry, in the order they have always been made.
    static func tensorInfo(_ name: String, _ dtypeField: DTypeField?, _ shapeField: ArrayField?,
                           _ offsetsField: ArrayField?) throws(SafetensorsProblem) -> TensorInfo {
        guard let dtypeField else { throw .missingField(tensor: name, field: "dtype") }
        guard let shapeField else { throw .missingField(tensor: name, field: "shape") }
        guard let offsetsField else { throw .missingField(tensor: name, field: "data_offsets") }

        let dtypeName: String
        switch dtypeField {
        case let .text(text): dtypeName = text
        case let .other(kind): throw .invalidFieldType(tensor: name, field: "dtype", expected: "a string", found: kind)
        }
        guard let dtype = DType(rawValue: dtypeName) else { throw .unknownDType(tensor: name, dtype: dtypeName) }
        let dims: [Item], rank: Int
        switch shapeField {
        case let .array(items, count): (dims, rank) = (items, count)
        case let .other(kind): throw .invalidFieldType(tensor: name, field: "shape", expected: "an array of integers", found: kind)
        }
        guard rank <= SafetensorsHeader.maxRank else { throw .tooManyDimensions(tensor: name, count: rank, limit: SafetensorsHeader.maxRank) }
        var shape: [Int] = []
        shape.reserveCapacity(dims.count)
        for d in dims { shape.append(try integer(d, tensor: name, field: "shape")) }
        guard case let .array(offsets, count) = offsetsField, count == 2 else {
            let found: String
            switch offsetsField {
            case .array: found = "an array"
            case let .other(kind): found = kind
            }
            throw .invalidFieldType(tensor: name, field: "data_offsets", expected: "an array of two integers", found: found)
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

    static func integer(_ item: Item, tensor: String, field: String) throws(SafetensorsProblem) -> Int {
        let text: String
        switch item {
        case let .number(t): text = t
        case let .other(kind): throw .invalidFieldType(tensor: tensor, field: field, expected: "a non-negative integer", found: kind)
        }
        // On the bytes of a number the JSON parser has already checked: `-`, then digits, then an
        // optional fraction and exponent (Character-wise `contains` and `Int(_:)` cost `inspect` a
        // twentieth of its instructions).
        var n = 0, tooLarge = false
        for (i, c) in text.utf8.enumerated() {
            switch c {
            case UInt8(ascii: "-") where i == 0:
                throw .invalidInteger(tensor: tensor, field: field, text: text, reason: "negative")
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                // Past 2^53 the value is refused anyway; stop before it could overflow.
                if !tooLarge { n = n * 10 + Int(c - UInt8(ascii: "0")); tooLarge = n > SafetensorsHeader.maxExactInteger }
            default:
                throw .invalidInteger(tensor: tensor, field: field, text: text, reason: "not an integer")
            }
        }
        guard !tooLarge else {
            throw .invalidInteger(tensor: tensor, field: field, text: text, reason: "larger than 2^53")
        }
        return n
    }
}
