/// Where the pixel data of a dataset lies in the parsed bytes.
enum PixelDataLocation: Equatable, Sendable {
    /// Native samples: `range` of the parsed bytes, with the element's VR (nil in implicit VR).
    case native(range: Range<Int>, vr: String?)
    /// Encapsulated: the basic offset table's length and the fragments' byte ranges, in order.
    case encapsulated(offsetTableLength: Int, fragments: [Range<Int>])
}

/// The top-level elements ckpt needs from a dataset, and where its pixel data is.
struct ParsedDataset: Sendable {
    /// Values of the wanted top-level elements (copied), by tag.
    var values: [DICOMTag: [UInt8]] = [:]
    /// Top-level tags that were present (also those whose values were not kept).
    var present: Set<DICOMTag> = []
    /// The pixel data, if the dataset has one at the top level.
    var pixelData: PixelDataLocation?
}

/// A bounds-checked reader of DICOM data elements over bytes that it borrows; every length is checked
/// against its container before it is used, sequences of undefined length are followed to their
/// delimiters with a nesting limit, and the number of elements is bounded.
struct DatasetParser {
    /// Deepest nesting of sequences accepted (real files rarely go past 10).
    static let maxDepth = 64
    /// Most data elements (at any depth, items included) read from one file.
    static let maxElements = 4_000_000
    /// Largest value kept for a wanted element; they are short strings and numbers.
    static let maxKeptValue = 1 << 16
    /// Most fragments of encapsulated pixel data.
    static let maxFragments = 1 << 20
    /// VRs whose explicit-VR header has two reserved bytes and a 32-bit length.
    static let longVRs: Set<String> = ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR", "UT", "SV", "UV"]
    /// Every VR of PS3.5 (2024), to tell an explicit VR from garbage.
    static let knownVRs: Set<String> = longVRs.union([
        "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO", "LT", "PN", "SH", "SL", "SS", "ST", "TM",
        "UI", "UL", "US",
    ])

    let bytes: UnsafeRawBufferPointer
    let path: String
    var explicitVR: Bool
    var bigEndian: Bool
    /// Top-level tags whose values are kept.
    let wanted: Set<DICOMTag>
    private var elementCount = 0

    init(bytes: UnsafeRawBufferPointer, path: String, explicitVR: Bool, bigEndian: Bool, wanted: Set<DICOMTag>) {
        self.bytes = bytes
        self.path = path
        self.explicitVR = explicitVR
        self.bigEndian = bigEndian
        self.wanted = wanted
    }

    // MARK: - Reading numbers

    func u16(_ offset: Int, bigEndian: Bool) -> UInt16 {
        // Callers check `offset + 2 <= bytes.count` first.
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
        return bigEndian ? UInt16(bigEndian: v) : UInt16(littleEndian: v)
    }

    func u32(_ offset: Int, bigEndian: Bool) -> UInt32 {
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        return bigEndian ? UInt32(bigEndian: v) : UInt32(littleEndian: v)
    }

    // MARK: - Element headers

    struct Header {
        let tag: DICOMTag
        let vr: String?
        /// nil for an undefined length (0xFFFFFFFF).
        let length: Int?
        /// Offset of the value.
        let valueOffset: Int
    }

    /// The element header at `offset`, which must end by `end`.
    mutating func header(at offset: Int, end: Int, explicit: Bool, bigEndian: Bool, context: DICOMTag?) throws -> Header {
        elementCount += 1
        if elementCount > Self.maxElements {
            throw DICOMProblem.overLimit(path: path, what: "the number of data elements", value: elementCount,
                                         limit: Self.maxElements)
        }
        guard end - offset >= 8 else {
            throw DICOMProblem.truncated(path: path, tag: context, detail: "\(end - offset) bytes left where an element header needs 8")
        }
        let tag = DICOMTag(u16(offset, bigEndian: bigEndian), u16(offset + 2, bigEndian: bigEndian))
        func length(_ raw: UInt32) -> Int? { raw == 0xFFFF_FFFF ? nil : Int(raw) }
        if tag.group == 0xFFFE || !explicit {
            return Header(tag: tag, vr: nil, length: length(u32(offset + 4, bigEndian: bigEndian)), valueOffset: offset + 8)
        }
        let c0 = bytes[offset + 4], c1 = bytes[offset + 5]
        let vr = String(decoding: [c0, c1], as: UTF8.self)
        guard (65...90).contains(c0), (65...90).contains(c1), Self.knownVRs.contains(vr) else {
            throw DICOMProblem.malformed(path: path, tag: tag, detail: "invalid value representation bytes \(c0), \(c1) in explicit VR")
        }
        if Self.longVRs.contains(vr) {
            guard end - offset >= 12 else {
                throw DICOMProblem.truncated(path: path, tag: tag, detail: "the element header ends early")
            }
            return Header(tag: tag, vr: vr, length: length(u32(offset + 8, bigEndian: bigEndian)), valueOffset: offset + 12)
        }
        return Header(tag: tag, vr: vr, length: Int(u16(offset + 6, bigEndian: bigEndian)), valueOffset: offset + 8)
    }

    /// Checks that a defined-length value fits before `end`; returns its end.
    func valueEnd(_ h: Header, _ length: Int, end: Int) throws -> Int {
        guard length <= end - h.valueOffset else {
            throw DICOMProblem.truncated(path: path, tag: h.tag,
                                         detail: "its length \(length) runs past the end of its data (\(end - h.valueOffset) bytes left)")
        }
        return h.valueOffset + length
    }

    // MARK: - Datasets

    /// Reads the top-level dataset in `[start, end)`; stops after the pixel data.
    mutating func parseTopLevel(start: Int, end: Int) throws -> ParsedDataset {
        var result = ParsedDataset()
        var offset = start
        var previous: DICOMTag? = nil
        while offset < end {
            // Trailing padding of fewer than 8 bytes (some writers add a NUL) ends the dataset.
            if end - offset < 8, bytes[offset..<end].allSatisfy({ $0 == 0 }) { break }
            let h = try header(at: offset, end: end, explicit: explicitVR, bigEndian: bigEndian, context: previous)
            if h.tag.group == 0xFFFE {
                throw DICOMProblem.malformed(path: path, tag: h.tag, detail: "an item or delimiter outside any sequence")
            }
            previous = h.tag
            result.present.insert(h.tag)
            if h.tag == .pixelData {
                result.pixelData = try pixelData(h, end: end)
                return result
            }
            if let length = h.length {
                let valueEnd = try valueEnd(h, length, end: end)
                if wanted.contains(h.tag) {
                    guard length <= Self.maxKeptValue else {
                        throw DICOMProblem.overLimit(path: path, what: "the length of \(h.tag)", value: length, limit: Self.maxKeptValue)
                    }
                    result.values[h.tag] = Array(bytes[h.valueOffset..<valueEnd])
                }
                offset = valueEnd
            } else {
                offset = try skipUndefined(h, end: end, depth: 1, explicit: explicitVR, bigEndian: bigEndian)
            }
        }
        return result
    }

    /// Skips the value of an element of undefined length (a sequence); returns the offset after its delimiter.
    mutating func skipUndefined(_ h: Header, end: Int, depth: Int, explicit: Bool, bigEndian: Bool) throws -> Int {
        // In implicit VR an undefined length marks a sequence; an explicit UN of undefined length is a
        // sequence whose contents are implicit VR little endian (PS3.5 6.2.2).
        var explicit = explicit, big = bigEndian
        switch h.vr {
        case "SQ", nil: break
        case "UN": explicit = false; big = false
        default:
            throw DICOMProblem.malformed(path: path, tag: h.tag, detail: "undefined length on a \(h.vr ?? "") element")
        }
        return try skipSequence(tag: h.tag, from: h.valueOffset, end: end, depth: depth, explicit: explicit, bigEndian: big)
    }

    /// Skips the items of a sequence of undefined length that starts at `from`.
    mutating func skipSequence(tag: DICOMTag, from: Int, end: Int, depth: Int, explicit: Bool, bigEndian: Bool) throws -> Int {
        guard depth <= Self.maxDepth else { throw DICOMProblem.nestingTooDeep(path: path, tag: tag, limit: Self.maxDepth) }
        var offset = from
        while true {
            guard end - offset >= 8 else { throw DICOMProblem.undefinedLengthNotClosed(path: path, tag: tag) }
            let item = try header(at: offset, end: end, explicit: explicit, bigEndian: bigEndian, context: tag)
            switch item.tag {
            case .sequenceDelimitation:
                return item.valueOffset
            case .item:
                if let length = item.length {
                    offset = try valueEnd(item, length, end: end)
                } else {
                    offset = try skipItem(sequence: tag, from: item.valueOffset, end: end, depth: depth,
                                          explicit: explicit, bigEndian: bigEndian)
                }
            default:
                throw DICOMProblem.malformed(path: path, tag: tag, detail: "\(item.tag) where a sequence item was expected")
            }
        }
    }

    /// Skips the elements of an item of undefined length up to its delimiter.
    mutating func skipItem(sequence: DICOMTag, from: Int, end: Int, depth: Int, explicit: Bool, bigEndian: Bool) throws -> Int {
        var offset = from
        while true {
            guard end - offset >= 8 else { throw DICOMProblem.undefinedLengthNotClosed(path: path, tag: sequence) }
            let h = try header(at: offset, end: end, explicit: explicit, bigEndian: bigEndian, context: sequence)
            if h.tag == .itemDelimitation { return h.valueOffset }
            if h.tag.group == 0xFFFE {
                throw DICOMProblem.malformed(path: path, tag: sequence, detail: "\(h.tag) inside an item")
            }
            if let length = h.length {
                offset = try valueEnd(h, length, end: end)
            } else {
                offset = try skipUndefined(h, end: end, depth: depth + 1, explicit: explicit, bigEndian: bigEndian)
            }
        }
    }

    // MARK: - Pixel data

    /// Locates the pixel data: a defined length is native, an undefined one encapsulated fragments.
    mutating func pixelData(_ h: Header, end: Int) throws -> PixelDataLocation {
        if let length = h.length {
            return .native(range: h.valueOffset..<(try valueEnd(h, length, end: end)), vr: h.vr)
        }
        // Encapsulated items are always little endian (PS3.5 A.4).
        var offset = h.valueOffset
        var offsetTable: Int? = nil
        var fragments: [Range<Int>] = []
        while true {
            guard end - offset >= 8 else { throw DICOMProblem.undefinedLengthNotClosed(path: path, tag: .pixelData) }
            let item = try header(at: offset, end: end, explicit: false, bigEndian: false, context: .pixelData)
            if item.tag == .sequenceDelimitation { break }
            guard item.tag == .item, let length = item.length else {
                throw DICOMProblem.malformed(path: path, tag: .pixelData,
                                             detail: item.tag == .item ? "a fragment of undefined length" : "\(item.tag) where a fragment was expected")
            }
            let stop = try valueEnd(item, length, end: end)
            if offsetTable == nil {
                offsetTable = length
            } else {
                guard fragments.count < Self.maxFragments else {
                    throw DICOMProblem.overLimit(path: path, what: "the number of pixel data fragments", value: fragments.count + 1,
                                                 limit: Self.maxFragments)
                }
                fragments.append(item.valueOffset..<stop)
            }
            offset = stop
        }
        return .encapsulated(offsetTableLength: offsetTable ?? 0, fragments: fragments)
    }
}
