/// What a DICOM file's header says about its image, and what ITK's `GDCMImageIO` makes of it: the
/// pixel type after MONOCHROME1 inversion and rescale, and the 2-D geometry SimpleITK reports.
public struct DICOMHeader: Sendable, Equatable {
    /// Whether the file has the 128-byte preamble and `DICM` (false: a bare dataset).
    public var hasPreamble: Bool
    /// The transfer syntax of the dataset.
    public var transferSyntax: TransferSyntax
    /// (0008,0016) SOP Class UID, or (0002,0002) when the dataset has none; nil when neither is there.
    public var sopClassUID: String?
    /// The SOP class's name, when ckpt knows it.
    public var sopClassName: String
    /// (0008,0060) Modality.
    public var modality: String?
    /// (0028,0010) Rows and (0028,0011) Columns.
    public var rows: Int, columns: Int
    /// (0028,0100) BitsAllocated, (0028,0101) BitsStored, (0028,0102) HighBit.
    public var bitsAllocated: Int, bitsStored: Int, highBit: Int
    /// (0028,0103) PixelRepresentation is 1.
    public var isSigned: Bool
    /// (0028,0002) SamplesPerPixel (1 when absent).
    public var samplesPerPixel: Int
    /// (0028,0004) PhotometricInterpretation.
    public var photometricInterpretation: String
    /// (0028,0008) NumberOfFrames (1 when absent).
    public var numberOfFrames: Int
    /// RescaleSlope and RescaleIntercept as GDCM reads them (1 and 0 when absent; a slope of 0 is 1).
    public var rescaleSlope: Double, rescaleIntercept: Double
    /// (0028,1050) WindowCenter and (0028,1051) WindowWidth values (not applied).
    public var windowCenter: [Double], windowWidth: [Double]
    /// The file has a (0028,3010) VOILUTSequence (not applied).
    public var hasVOILUT: Bool
    /// The ITK pixel type of the image after inversion and rescale (`Rescaler::ComputeInterceptSlopePixelType`).
    public var pixelType: DICOMPixelType
    /// Spacing (x, y), origin (x, y) and the 2×2 direction, row-major, as SimpleITK's `ReadImage(path)[:, :, 0]` gives them.
    public var spacing: SIMD2<Double>, origin: SIMD2<Double>, direction: [Double]
}

extension DICOMHeader {
    static let wantedTags: Set<DICOMTag> = [
        .sopClassUID, .modality, .nominalScannedPixelSpacing, .imagerPixelSpacing, .imagePositionPatient,
        .imageOrientationPatient, .samplesPerPixel, .photometricInterpretation, .numberOfFrames, .rows, .columns,
        .pixelSpacing, .bitsAllocated, .bitsStored, .highBit, .pixelRepresentation, .windowCenter, .windowWidth,
        .rescaleIntercept, .rescaleSlope, .imagePlanePixelSpacing, DICOMTag(0x0028, 0x0006),
    ]

    /// Interprets the dataset's values; `metaSOPClass` is (0002,0002) from the file meta information.
    init(values v: DICOMValues, present: Set<DICOMTag>, syntax: TransferSyntax, hasPreamble: Bool,
         metaSOPClass: String?) throws {
        let path = v.path
        func required(_ tag: DICOMTag) throws -> Int {
            guard let value = try v.uint16(tag) else { throw DICOMProblem.missingAttribute(path: path, tag: tag) }
            return value
        }
        self.hasPreamble = hasPreamble
        self.transferSyntax = syntax
        // GDCM's MediaStorage::SetFromFile: the dataset's SOP Class UID wins over the file meta's.
        let dsClass = v.string(.sopClassUID).flatMap { $0.isEmpty ? nil : $0 }
        sopClassUID = dsClass ?? metaSOPClass
        let rule = SOPClassRule.lookup(sopClassUID)
        sopClassName = rule.name
        modality = v.string(.modality)
        rows = try required(.rows)
        columns = try required(.columns)
        bitsAllocated = try required(.bitsAllocated)
        bitsStored = try v.uint16(.bitsStored) ?? bitsAllocated
        highBit = try v.uint16(.highBit) ?? (bitsStored - 1)
        let representation = try v.uint16(.pixelRepresentation) ?? 0
        guard representation <= 1 else {
            throw DICOMProblem.badValue(path: path, tag: .pixelRepresentation, value: "\(representation)", expected: "0 or 1")
        }
        isSigned = representation == 1
        samplesPerPixel = try v.uint16(.samplesPerPixel) ?? 1
        guard let pi = v.string(.photometricInterpretation), !pi.isEmpty else {
            throw DICOMProblem.missingAttribute(path: path, tag: .photometricInterpretation)
        }
        photometricInterpretation = pi
        if let frames = try v.numbers(.numberOfFrames)?.first {
            guard frames >= 0, frames < 1e9, frames == frames.rounded() else {
                throw DICOMProblem.badValue(path: path, tag: .numberOfFrames, value: "\(frames)", expected: "a frame count")
            }
            numberOfFrames = max(Int(frames), 1)
        } else {
            numberOfFrames = 1
        }

        // GDCM's GetRescaleInterceptSlopeValueFromDataSet (ITK forces it for every SOP class).
        rescaleIntercept = try v.numbers(.rescaleIntercept)?.first ?? 0
        let slope = try v.numbers(.rescaleSlope)?.first ?? 1
        rescaleSlope = slope == 0 ? 1 : slope
        windowCenter = try v.numbers(.windowCenter) ?? []
        windowWidth = try v.numbers(.windowWidth) ?? []
        hasVOILUT = present.contains(.voiLUTSequence)

        pixelType = Self.rescaledType(bitsAllocated: bitsAllocated, bitsStored: bitsStored, signed: isSigned,
                                      slope: rescaleSlope, intercept: rescaleIntercept)
        (spacing, origin, direction) = try Self.geometry(v, rule: rule)
    }

    /// The stored pixel type (GDCM's PixelFormat scalar type from BitsAllocated and PixelRepresentation).
    var storedType: DICOMPixelType {
        switch (bitsAllocated, isSigned) {
        case (8, false): return .uint8
        case (8, true): return .int8
        case (_, false): return .uint16
        default: return .int16
        }
    }

    /// GDCM's `Rescaler::ComputeInterceptSlopePixelType`: no rescale keeps the stored type; a
    /// non-integral slope or intercept gives float64; otherwise the smallest integer type holding
    /// slope·[min, max] + intercept, where min and max come from BitsStored.
    static func rescaledType(bitsAllocated: Int, bitsStored: Int, signed: Bool, slope: Double, intercept: Double) -> DICOMPixelType {
        let stored: DICOMPixelType
        switch bitsAllocated {
        case ...8: stored = signed ? .int8 : .uint8
        case ...16: stored = signed ? .int16 : .uint16
        default: stored = signed ? .int32 : .uint32
        }
        if slope == 1 && intercept == 0 { return stored }
        // `Slope != (int)Slope`: a value out of int's range is not integral either.
        func integral(_ x: Double) -> Bool { x.magnitude < 2_147_483_648 && x == x.rounded(.towardZero) }
        if !integral(slope) || !integral(intercept) { return .float64 }
        let bits = min(max(bitsStored, 1), 32)  // checked by the reader; inspect describes any header
        let lo = signed ? -Double(1 << (bits - 1)) : 0
        let hi = signed ? Double((1 << (bits - 1)) - 1) : Double((1 << bits) - 1)
        let a = slope * (slope >= 0 ? lo : hi) + intercept, b = slope * (slope >= 0 ? hi : lo) + intercept
        if a >= 0 {
            if b <= 255 { return .uint8 }
            if b <= 65_535 { return .uint16 }
            if b <= 4_294_967_295 { return .uint32 }
            return .float64
        }
        if a >= -128 && b <= 127 { return .int8 }
        if a >= -32_768 && b <= 32_767 { return .int16 }
        if a >= -2_147_483_648 && b <= 2_147_483_647 { return .int32 }
        return .float64
    }

    // MARK: - Geometry

    /// Spacing, origin and direction as GDCM's ImageHelper reads them, ITK orthogonalises them and
    /// SimpleITK's `[:, :, 0]` (Extract, DIRECTIONCOLLAPSETOGUESS) collapses them to 2-D.
    static func geometry(_ v: DICOMValues, rule: SOPClassRule) throws
        -> (SIMD2<Double>, SIMD2<Double>, [Double])
    {
        var spacing = SIMD2<Double>(1, 1)
        switch rule.spacing {
        case .none: break
        case .gdcm(let tag):
            if let text = v.string(tag), !text.isEmpty {
                if text.contains("\\") {
                    let values = try v.numbers(tag) ?? []
                    guard values.count >= 2 else {
                        throw DICOMProblem.badValue(path: v.path, tag: tag, value: "\"\(text)\"", expected: "two decimal numbers")
                    }
                    spacing = [values[1] == 0 ? 1 : values[1], values[0] == 0 ? 1 : values[0]]
                } else if let single = try v.numbers(tag)?.first {
                    spacing = single == 0 ? [1, 1] : [single, single]
                }
            }
        case .itkPixelSpacing:
            if let values = try v.numbers(.pixelSpacing) {
                guard values.count >= 2 else {
                    throw DICOMProblem.badValue(path: v.path, tag: .pixelSpacing, value: "\(values)", expected: "two decimal numbers")
                }
                spacing = [values[1], values[0]]
            }
        }
        var origin = SIMD2<Double>(0, 0)
        if let ipp = try v.numbers(.imagePositionPatient) {
            if ipp.count > 0 { origin.x = ipp[0] }
            if ipp.count > 1 { origin.y = ipp[1] }
        }
        var cosines: [Double] = [1, 0, 0, 0, 1, 0]
        if v.has(.imageOrientationPatient) {
            let iop = try v.numbers(.imageOrientationPatient) ?? []
            var read = cosines
            for (i, x) in iop.prefix(6).enumerated() { read[i] = x }
            if isValidCosines(read) {
                cosines = read
            } else {
                normalize(&read)
                if isValidCosines(read) { cosines = read }
            }
        }
        // GDCMImageIO: slice = row × column, normalised; row = column × slice, normalised; column = slice × row.
        let row0 = SIMD3(cosines[0], cosines[1], cosines[2]), col0 = SIMD3(cosines[3], cosines[4], cosines[5])
        let slice = normalized(cross(row0, col0))
        let row = normalized(cross(col0, slice))
        let col = cross(slice, row)
        // Direction columns are the axes; the 2-D submatrix keeps x and y of the row and column directions.
        var direction = [row.x, col.x, row.y, col.y]
        if direction[0] * direction[3] - direction[1] * direction[2] == 0 { direction = [1, 0, 0, 1] }
        return (spacing, origin, direction)
    }

    static func isValidCosines(_ c: [Double]) -> Bool {
        let n1 = c[0] * c[0] + c[1] * c[1] + c[2] * c[2]
        let n2 = c[3] * c[3] + c[4] * c[4] + c[5] * c[5]
        let dot = c[0] * c[3] + c[1] * c[4] + c[2] * c[5]
        return abs(n1 - 1) < 1e-3 && abs(n2 - 1) < 1e-3 && abs(dot) < 1e-3
    }

    static func normalize(_ c: inout [Double]) {
        for base in [0, 3] {
            let n = (c[base] * c[base] + c[base + 1] * c[base + 1] + c[base + 2] * c[base + 2]).squareRoot()
            if n != 0 { for i in base..<(base + 3) { c[i] /= n } }
        }
    }

    static func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
        SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
    }

    /// vnl's normalize: multiplies by 1/sqrt(x² + y² + z²) unless the sum is zero.
    static func normalized(_ a: SIMD3<Double>) -> SIMD3<Double> {
        let sum = a.x * a.x + a.y * a.y + a.z * a.z
        guard sum != 0 else { return a }
        let scale = 1 / sum.squareRoot()
        return SIMD3(scale * a.x, scale * a.y, scale * a.z)
    }
}
