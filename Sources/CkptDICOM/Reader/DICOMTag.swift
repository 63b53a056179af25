/// A data element tag `(gggg,eeee)`; its description adds the keyword when ckpt knows it.
public struct DICOMTag: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The group number.
    public let group: UInt16
    /// The element number.
    public let element: UInt16

    /// The tag `(group,element)`.
    public init(_ group: UInt16, _ element: UInt16) {
        self.group = group
        self.element = element
    }

    var key: UInt32 { UInt32(group) << 16 | UInt32(element) }

    /// `(gggg,eeee) Keyword`, or `(gggg,eeee)` for a tag not in `keywords`.
    public var description: String {
        let hex = { (v: UInt16) -> String in
            let s = String(v, radix: 16, uppercase: true)
            return String(repeating: "0", count: 4 - s.count) + s
        }
        let text = "(\(hex(group)),\(hex(element)))"
        return DICOMTag.keywords[self].map { "\(text) \($0)" } ?? text
    }

    /// Orders tags as they appear in a dataset.
    public static func < (a: DICOMTag, b: DICOMTag) -> Bool { a.key < b.key }
}

extension DICOMTag {
    static let transferSyntaxUID = DICOMTag(0x0002, 0x0010)
    static let mediaStorageSOPClassUID = DICOMTag(0x0002, 0x0002)
    static let sopClassUID = DICOMTag(0x0008, 0x0016)
    static let modality = DICOMTag(0x0008, 0x0060)
    static let nominalScannedPixelSpacing = DICOMTag(0x0018, 0x2010)
    static let imagerPixelSpacing = DICOMTag(0x0018, 0x1164)
    static let imagePositionPatient = DICOMTag(0x0020, 0x0032)
    static let imageOrientationPatient = DICOMTag(0x0020, 0x0037)
    static let samplesPerPixel = DICOMTag(0x0028, 0x0002)
    static let photometricInterpretation = DICOMTag(0x0028, 0x0004)
    static let numberOfFrames = DICOMTag(0x0028, 0x0008)
    static let rows = DICOMTag(0x0028, 0x0010)
    static let columns = DICOMTag(0x0028, 0x0011)
    static let pixelSpacing = DICOMTag(0x0028, 0x0030)
    static let pixelAspectRatio = DICOMTag(0x0028, 0x0034)
    static let bitsAllocated = DICOMTag(0x0028, 0x0100)
    static let bitsStored = DICOMTag(0x0028, 0x0101)
    static let highBit = DICOMTag(0x0028, 0x0102)
    static let pixelRepresentation = DICOMTag(0x0028, 0x0103)
    static let windowCenter = DICOMTag(0x0028, 0x1050)
    static let windowWidth = DICOMTag(0x0028, 0x1051)
    static let rescaleIntercept = DICOMTag(0x0028, 0x1052)
    static let rescaleSlope = DICOMTag(0x0028, 0x1053)
    static let voiLUTSequence = DICOMTag(0x0028, 0x3010)
    static let imagePlanePixelSpacing = DICOMTag(0x3002, 0x0011)
    static let pixelData = DICOMTag(0x7FE0, 0x0010)
    static let item = DICOMTag(0xFFFE, 0xE000)
    static let itemDelimitation = DICOMTag(0xFFFE, 0xE00D)
    static let sequenceDelimitation = DICOMTag(0xFFFE, 0xE0DD)

    /// Keywords of the tags ckpt reads or names in messages (PS3.6).
    static let keywords: [DICOMTag: String] = [
        transferSyntaxUID: "TransferSyntaxUID", mediaStorageSOPClassUID: "MediaStorageSOPClassUID",
        DICOMTag(0x0002, 0x0000): "FileMetaInformationGroupLength",
        sopClassUID: "SOPClassUID", modality: "Modality",
        nominalScannedPixelSpacing: "NominalScannedPixelSpacing", imagerPixelSpacing: "ImagerPixelSpacing",
        imagePositionPatient: "ImagePositionPatient", imageOrientationPatient: "ImageOrientationPatient",
        samplesPerPixel: "SamplesPerPixel", photometricInterpretation: "PhotometricInterpretation",
        numberOfFrames: "NumberOfFrames", rows: "Rows", columns: "Columns", pixelSpacing: "PixelSpacing",
        pixelAspectRatio: "PixelAspectRatio",
        bitsAllocated: "BitsAllocated", bitsStored: "BitsStored", highBit: "HighBit",
        pixelRepresentation: "PixelRepresentation", windowCenter: "WindowCenter", windowWidth: "WindowWidth",
        rescaleIntercept: "RescaleIntercept", rescaleSlope: "RescaleSlope", voiLUTSequence: "VOILUTSequence",
        DICOMTag(0x0028, 0x0006): "PlanarConfiguration",
        DICOMTag(0x0028, 0x1201): "RedPaletteColorLookupTableData",
        imagePlanePixelSpacing: "ImagePlanePixelSpacing", pixelData: "PixelData",
        item: "Item", itemDelimitation: "ItemDelimitationItem", sequenceDelimitation: "SequenceDelimitationItem",
    ]
}
