import CkptCore

/// A DICOM file read into the image SimpleITK's `ReadImage(path)[:, :, 0]` gives, with the header it came from.
public struct DICOMFile: Sendable, Equatable {
    /// What the header says (and the pixel type and geometry ITK derives from it). When a JPEG 2000
    /// or JPEG codestream declares another precision, GDCM (and `image`) follow the codestream:
    /// `image.pixelType` is then the one to use, not `header.pixelType`.
    public let header: DICOMHeader
    /// The samples after MONOCHROME1 inversion and rescale, with the geometry.
    public let image: DICOMImage
}

/// Reads DICOM files: Part 10 files (preamble, `DICM`, file meta information) and bare datasets in
/// implicit or explicit VR little endian that start with group 0008.
public enum DICOMReader {
    /// The pixel limit, the same as the image path's (PIL's decompression-bomb threshold).
    public static let defaultMaxPixels = 178_956_970
    /// Memory the reader may use besides the image itself (element values, the copy of a compressed
    /// frame, which is at most the file's size).
    public static let workingMemoryLimit = 64 << 20
    /// The largest ratio of inflated to deflated bytes accepted in a Deflated Explicit VR Little
    /// Endian file, over a 16 MiB allowance: real datasets compress a few times, a zero bomb ~1000
    /// times, so a bomb is refused before it fills memory.
    public static let maxDeflateRatio = 64

    /// True when the bytes start like a DICOM file: `DICM` at offset 128 (whatever the preamble
    /// holds, e.g. a TIFF header), or a bare dataset starting with group 0008.
    public static func looksLikeDICOM(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if hasPreamble(bytes) { return true }
        return bareSyntax(bytes) != nil
    }

    /// True when the file at `path` is a regular file that starts like DICOM (see `looksLikeDICOM`).
    public static func looksLikeDICOM(path: String) -> Bool {
        guard let file = try? MappedFile(path: path) else { return false }
        let count = min(file.size, 140)
        return (try? file.withBytes(offset: 0, count: count) { looksLikeDICOM($0) }) ?? false
    }

    /// The header of the file at `path`, without decoding its pixels.
    public static func readHeader(contentsOf path: String) throws -> DICOMHeader {
        let file = try MappedFile(path: path)
        return try file.withBytes(offset: 0, count: file.size) { bytes in
            try withDataset(bytes, path: path, maxPixels: defaultMaxPixels) { parsed, _ in parsed.header }
        }
    }

    /// Reads the file at `path`. `maxPixels` bounds rows × columns, checked before pixel memory is allocated.
    public static func read(contentsOf path: String, maxPixels: Int = defaultMaxPixels) throws -> DICOMFile {
        let file = try MappedFile(path: path)
        return try file.withBytes(offset: 0, count: file.size) { try read(bytes: $0, path: path, maxPixels: maxPixels) }
    }

    /// Reads DICOM bytes held in memory; `path` is only used in messages.
    public static func read(bytes: UnsafeRawBufferPointer, path: String, maxPixels: Int = defaultMaxPixels) throws -> DICOMFile {
        try read(bytes: bytes, path: path, maxPixels: maxPixels, storedSamples: nil)
    }

    /// `read`, also handing the decoded stored samples (before any cleanup) to `storedSamples`: tests
    /// compare them between a compressed file and its uncompressed twin.
    static func read(bytes: UnsafeRawBufferPointer, path: String, maxPixels: Int,
                     storedSamples: (([UInt16]) -> Void)?) throws -> DICOMFile {
        try withDataset(bytes, path: path, maxPixels: maxPixels) { parsed, data in
            let h = parsed.header
            try checkReadable(h, path: path, maxPixels: maxPixels)
            guard let location = parsed.pixelData else { throw DICOMProblem.missingAttribute(path: path, tag: .pixelData) }
            let (decoded, format) = try PixelDecoder.decode(location, in: data, header: h, path: path, maxPixels: maxPixels)
            let (cleaned, inverted) = PixelSemantics.formats(h, codestream: format)
            var words = decoded
            if let storedSamples { storedSamples(decoded) }
            PixelSemantics.cleanup(&words, header: cleaned)
            if h.photometricInterpretation == "MONOCHROME1" { PixelSemantics.invertMonochrome1(&words, header: inverted) }
            let values = PixelSemantics.values(words, header: cleaned)
            let image = DICOMImage(width: h.columns, height: h.rows, pixelType: cleaned.pixelType, values: values,
                                   spacing: h.spacing, origin: h.origin, direction: h.direction)
            return DICOMFile(header: h, image: image)
        }
    }

    /// Refuses what ckpt does not read, before any pixel memory is allocated.
    static func checkReadable(_ h: DICOMHeader, path: String, maxPixels: Int) throws {
        guard h.transferSyntax.encoding != nil else {
            throw DICOMProblem.unsupportedTransferSyntax(path: path, uid: h.transferSyntax.uid, name: h.transferSyntax.name)
        }
        if let refusal = SOPClassRule.lookup(h.sopClassUID).refusal {
            throw DICOMProblem.unsupportedImage(path: path, reason: "\(h.sopClassName): \(refusal)")
        }
        guard h.samplesPerPixel == 1, ["MONOCHROME1", "MONOCHROME2"].contains(h.photometricInterpretation) else {
            throw DICOMProblem.unsupportedImage(
                path: path, reason: "colour image (\(h.photometricInterpretation), \(h.samplesPerPixel) samples per pixel); ckpt reads MONOCHROME1 and MONOCHROME2")
        }
        guard h.numberOfFrames == 1 else {
            throw DICOMProblem.unsupportedImage(path: path, reason: "multi-frame image ((0028,0008) NumberOfFrames is \(h.numberOfFrames)); ckpt reads single frames")
        }
        guard [8, 16].contains(h.bitsAllocated) else {
            throw DICOMProblem.unsupportedImage(path: path, reason: "(0028,0100) BitsAllocated is \(h.bitsAllocated); ckpt reads 8 or 16")
        }
        guard (1...h.bitsAllocated).contains(h.bitsStored) else {
            throw DICOMProblem.badValue(path: path, tag: .bitsStored, value: "\(h.bitsStored)", expected: "1 to BitsAllocated (\(h.bitsAllocated))")
        }
        guard h.highBit < h.bitsAllocated, h.highBit <= h.bitsStored - 1 else {
            // GDCM shifts by BitsStored - HighBit - 1: a high bit above BitsStored - 1 would shift by a
            // negative amount, which GDCM does not define either.
            throw DICOMProblem.unsupportedImage(
                path: path, reason: "(0028,0102) HighBit is \(h.highBit) with BitsStored \(h.bitsStored); ckpt reads HighBit ≤ BitsStored - 1")
        }
        guard h.rows > 0, h.columns > 0 else {
            throw DICOMProblem.badValue(path: path, tag: h.rows == 0 ? .rows : .columns, value: "0", expected: "at least 1")
        }
        if h.rows * h.columns > maxPixels {
            throw DICOMProblem.tooManyPixels(path: path, width: h.columns, height: h.rows, limit: maxPixels)
        }
    }

    // MARK: - File structure

    struct Parsed {
        let header: DICOMHeader
        let pixelData: PixelDataLocation?
    }

    static func hasPreamble(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 132 && bytes[128] == 0x44 && bytes[129] == 0x49 && bytes[130] == 0x43 && bytes[131] == 0x4D
    }

    /// The syntax of a bare dataset: its first tag is in group 0008 (little endian), and its VR bytes
    /// tell explicit from implicit VR.
    static func bareSyntax(_ bytes: UnsafeRawBufferPointer) -> TransferSyntax? {
        guard bytes.count >= 8, bytes[0] == 0x08, bytes[1] == 0x00 else { return nil }
        let vr = String(decoding: [bytes[4], bytes[5]], as: UTF8.self)
        if DatasetParser.knownVRs.contains(vr) { return .explicitLittle }
        // Implicit VR: an even 32-bit length that fits in the file (4 for a group length).
        let element = UInt16(bytes[2]) | UInt16(bytes[3]) << 8
        let length = UInt32(bytes[4]) | UInt32(bytes[5]) << 8 | UInt32(bytes[6]) << 16 | UInt32(bytes[7]) << 24
        guard length % 2 == 0, Int(length) <= bytes.count - 8, element != 0 || length == 4 else { return nil }
        return .implicitLittle
    }

    /// Parses the file meta information and dataset, and lends the dataset's bytes (inflated if needed).
    static func withDataset<R>(_ bytes: UnsafeRawBufferPointer, path: String, maxPixels: Int,
                               _ body: (Parsed, UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard bytes.count > 0 else { throw DICOMProblem.notDICOM(path: path, reason: "the file is empty") }
        var syntax: TransferSyntax
        var datasetStart: Int
        var metaSOPClass: String? = nil
        let preamble = hasPreamble(bytes)
        if preamble {
            var meta = DatasetParser(bytes: bytes, path: path, explicitVR: true, bigEndian: false,
                                     wanted: [.transferSyntaxUID, .mediaStorageSOPClassUID])
            var offset = 132
            var values: [DICOMTag: [UInt8]] = [:]
            // The file meta information is explicit VR little endian, group 0002 only.
            while bytes.count - offset >= 4, meta.u16(offset, bigEndian: false) == 0x0002 {
                let h = try meta.header(at: offset, end: bytes.count, explicit: true, bigEndian: false, context: nil)
                guard let length = h.length else {
                    throw DICOMProblem.malformed(path: path, tag: h.tag, detail: "undefined length in the file meta information")
                }
                let end = try meta.valueEnd(h, length, end: bytes.count)
                if meta.wanted.contains(h.tag) {
                    guard length <= DatasetParser.maxKeptValue else {
                        throw DICOMProblem.overLimit(path: path, what: "the length of \(h.tag)", value: length, limit: DatasetParser.maxKeptValue)
                    }
                    values[h.tag] = Array(bytes[h.valueOffset..<end])
                }
                offset = end
            }
            let metaValues = DICOMValues(values: values, bigEndian: false, path: path)
            guard let uid = metaValues.string(.transferSyntaxUID), !uid.isEmpty else {
                throw DICOMProblem.missingAttribute(path: path, tag: .transferSyntaxUID)
            }
            syntax = TransferSyntax.lookup(uid)
            metaSOPClass = metaValues.string(.mediaStorageSOPClassUID).flatMap { $0.isEmpty ? nil : $0 }
            datasetStart = offset
        } else if let bare = bareSyntax(bytes) {
            syntax = bare
            datasetStart = 0
        } else {
            throw DICOMProblem.notDICOM(
                path: path, reason: bytes.count < 132
                    ? "\(bytes.count) bytes, too short for the 128-byte preamble and DICM, and not a dataset starting with group 0008"
                    : "no DICM at offset 128, and not a bare dataset starting with group 0008")
        }

        func parse(_ data: UnsafeRawBufferPointer, start: Int) throws -> R {
            var parser = DatasetParser(bytes: data, path: path, explicitVR: syntax.explicitVR, bigEndian: syntax.bigEndian,
                                       wanted: DICOMHeader.wantedTags)
            let dataset = try parser.parseTopLevel(start: start, end: data.count)
            let values = DICOMValues(values: dataset.values, bigEndian: syntax.bigEndian, path: path)
            let header = try DICOMHeader(values: values, present: dataset.present, syntax: syntax, hasPreamble: preamble,
                                         metaSOPClass: metaSOPClass)
            return try body(Parsed(header: header, pixelData: dataset.pixelData), data)
        }
        if syntax.deflated {
            let deflated = bytes.count - datasetStart
            let (ratioBound, o) = deflated.multipliedReportingOverflow(by: maxDeflateRatio)
            let limit = min((16 << 20) + (o ? Int.max / 2 : ratioBound), workingMemoryLimit + min(maxPixels, Int.max / 8) * 2)
            return try Inflate.withRaw(UnsafeRawBufferPointer(rebasing: bytes[datasetStart...]), limit: limit, path: path) {
                try parse($0, start: 0)
            }
        }
        return try parse(bytes, start: datasetStart)
    }
}
