/// Which element gives the pixel spacing of an image, by SOP class, as ITK 5.4's `GDCMImageIO` over
/// its bundled GDCM 3.0.24 decides (`ImageHelper::GetSpacingTagFromMediaStorage`, with
/// `ForcePixelSpacing` off, and the classes `GDCMImageIO` overrides to PixelSpacing).
enum SpacingRule: Sendable, Equatable {
    /// A DS element read GDCM's way: two values are (row, column) and swapped to (x, y), a zero becomes
    /// 1; a single value serves both axes.
    case gdcm(DICOMTag)
    /// `GDCMImageIO`'s own reading of PixelSpacing for classes GDCM does not handle: two values swapped,
    /// zeros kept.
    case itkPixelSpacing
    /// No element: spacing (1, 1).
    case none
}

/// What ckpt knows of a SOP class: its name and how ITK/GDCM read its geometry. Rows are data.
struct SOPClassRule: Sendable {
    let uid: String
    let name: String
    let spacing: SpacingRule
    /// Why ckpt refuses the class (its geometry or rescale live in per-frame functional groups or
    /// other sequences ckpt does not read); nil when it is read.
    let refusal: String?

    static func lookup(_ uid: String?) -> SOPClassRule {
        guard let uid else { return unknown(nil) }
        return table.first { $0.uid == uid } ?? unknown(uid)
    }

    private static func unknown(_ uid: String?) -> SOPClassRule {
        SOPClassRule(uid: uid ?? "", name: uid == nil ? "no SOP class" : "unknown SOP class", spacing: .none, refusal: nil)
    }

    private static let functionalGroups =
        "its geometry and rescale are in per-frame functional groups, which ckpt does not read"

    static let table: [SOPClassRule] = {
        let pixel = SpacingRule.gdcm(.pixelSpacing), imager = SpacingRule.gdcm(.imagerPixelSpacing)
        let nominal = SpacingRule.gdcm(.nominalScannedPixelSpacing)
        func row(_ uid: String, _ name: String, _ spacing: SpacingRule, refused: String? = nil) -> SOPClassRule {
            SOPClassRule(uid: uid, name: name, spacing: spacing, refusal: refused)
        }
        let fg = functionalGroups
        return [
            row("1.2.840.10008.5.1.4.1.1.1", "Computed Radiography Image Storage", imager),
            row("1.2.840.10008.5.1.4.1.1.1.1", "Digital X-Ray Image Storage - For Presentation", imager),
            row("1.2.840.10008.5.1.4.1.1.1.1.1", "Digital X-Ray Image Storage - For Processing", imager),
            row("1.2.840.10008.5.1.4.1.1.1.2", "Digital Mammography X-Ray Image Storage - For Presentation", imager),
            row("1.2.840.10008.5.1.4.1.1.1.2.1", "Digital Mammography X-Ray Image Storage - For Processing", imager),
            row("1.2.840.10008.5.1.4.1.1.1.3", "Digital Intra-Oral X-Ray Image Storage - For Presentation", imager),
            row("1.2.840.10008.5.1.4.1.1.1.3.1", "Digital Intra-Oral X-Ray Image Storage - For Processing", imager),
            row("1.2.840.10008.5.1.4.1.1.12.1", "X-Ray Angiographic Image Storage", imager),
            row("1.2.840.10008.5.1.4.1.1.12.2", "X-Ray Radiofluoroscopic Image Storage", imager),
            row("1.2.840.10008.5.1.4.1.1.12.3", "X-Ray Angiographic Bi-Plane Image Storage (Retired)", imager),
            row("1.2.392.200036.9125.1.1.2", "Fuji Private Mammography CR Image Storage", imager),
            row("1.2.840.10008.5.1.4.1.1.2", "CT Image Storage", pixel),
            row("1.2.840.10008.5.1.4.1.1.4", "MR Image Storage", pixel),
            row("1.2.840.10008.5.1.4.1.1.481.2", "RT Dose Storage", pixel),
            row("1.2.840.10008.5.1.4.1.1.128", "Positron Emission Tomography Image Storage", pixel),
            row("1.2.840.113619.4.2", "GE Private Magnetic Resonance Image Storage", pixel),
            row("1.2.840.10008.5.1.4.1.1.77.1.4", "VL Photographic Image Storage", pixel),
            row("1.2.840.10008.5.1.4.1.1.77.1.2", "VL Microscopic Image Storage", pixel),
            row("1.2.840.10008.5.1.4.1.1.481.1", "RT Image Storage", .gdcm(.imagePlanePixelSpacing)),
            row("1.2.840.10008.5.1.4.1.1.7", "Secondary Capture Image Storage", nominal),
            row("1.2.840.10008.5.1.1.30", "Hardcopy Color Image Storage (Retired)", nominal),
            row("1.2.840.10008.5.1.1.29", "Hardcopy Grayscale Image Storage (Retired)", .itkPixelSpacing),
            row("1.2.840.10008.5.1.4.1.1.6", "Ultrasound Image Storage (Retired)", .itkPixelSpacing),
            row("1.2.840.10008.5.1.4.1.1.6.1", "Ultrasound Image Storage", .itkPixelSpacing),
            row("1.2.840.10008.5.1.4.1.1.3", "Ultrasound Multi-frame Image Storage (Retired)", .itkPixelSpacing),
            row("1.2.840.10008.5.1.4.1.1.3.1", "Ultrasound Multi-frame Image Storage", .itkPixelSpacing),
            row("1.2.840.10008.5.1.4.1.1.77.1.1.1", "Video Endoscopic Image Storage", .itkPixelSpacing),
            row("1.2.840.10008.5.1.4.1.1.20", "Nuclear Medicine Image Storage", pixel,
                refused: "its geometry is in the Detector Information Sequence, which ckpt does not read"),
            row("1.2.840.10008.5.1.4.1.1.2.1", "Enhanced CT Image Storage", .none, refused: fg),
            row("1.2.840.10008.5.1.4.1.1.2.2", "Legacy Converted Enhanced CT Image Storage", .none, refused: fg),
            row("1.2.840.10008.5.1.4.1.1.4.1", "Enhanced MR Image Storage", .none, refused: fg),
            row("1.2.840.10008.5.1.4.1.1.4.3", "Enhanced MR Color Image Storage", .none, refused: fg),
            row("1.2.840.10008.5.1.4.1.1.4.4", "Legacy Converted Enhanced MR Image Storage", .none, refused: fg),
            row("1.2.840.10008.5.1.4.1.1.128.1", "Legacy Converted Enhanced PET Image Storage", .none, refused: fg),
            row("1.2.840.10008.5.1.4.1.1.130", "Enhanced PET Image Storage", .none, refused: fg),
            row("1.2.840.10008.5.1.4.1.1.77.1.5.4", "Ophthalmic Tomography Image Storage", .none, refused: fg),
            row("1.2.840.10008.5.1.4.1.1.7.1", "Multi-frame Single Bit Secondary Capture Image Storage", .none, refused: fg),
            row("1.2.840.10008.5.1.4.1.1.7.2", "Multi-frame Grayscale Byte Secondary Capture Image Storage", .none, refused: fg),
            row("1.2.840.10008.5.1.4.1.1.7.3", "Multi-frame Grayscale Word Secondary Capture Image Storage", .none, refused: fg),
            row("1.2.840.10008.5.1.4.1.1.7.4", "Multi-frame True Color Secondary Capture Image Storage", .none, refused: fg),
            row("1.2.840.10008.5.1.4.1.1.13.1.1", "X-Ray 3D Angiographic Image Storage", .none, refused: fg),
            row("1.2.840.10008.5.1.4.1.1.13.1.2", "X-Ray 3D Craniofacial Image Storage", .none, refused: fg),
            row("1.2.840.10008.5.1.4.1.1.13.1.3", "Breast Tomosynthesis Image Storage", .none, refused: fg),
            row("1.2.840.10008.5.1.4.1.1.13.1.4", "Breast Projection X-Ray Image Storage - For Presentation", .none, refused: fg),
            row("1.2.840.10008.5.1.4.1.1.13.1.5", "Breast Projection X-Ray Image Storage - For Processing", .none, refused: fg),
            row("1.2.840.10008.5.1.4.1.1.14.1", "Intravascular OCT Image Storage - For Presentation", .none, refused: fg),
            row("1.2.840.10008.5.1.4.1.1.14.2", "Intravascular OCT Image Storage - For Processing", .none, refused: fg),
            row("1.2.840.10008.5.1.4.1.1.66.4", "Segmentation Storage", .none, refused: fg),
        ]
    }()
}
