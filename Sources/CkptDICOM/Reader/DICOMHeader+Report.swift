import CkptCore

extension DICOMHeader {
    /// Why `DICOMReader.read` would refuse this file (with the default pixel limit), or nil when it reads it.
    public func refusal(path: String) -> DICOMProblem? {
        do {
            try DICOMReader.checkReadable(self, path: path, maxPixels: DICOMReader.defaultMaxPixels)
            return nil
        } catch let problem as DICOMProblem {
            return problem
        } catch {
            return .unreadable(path: path, reason: "\(error)")
        }
    }

    /// The lines `ckpt inspect` prints for a DICOM file, after a first line naming it.
    public func report(path: String) -> String {
        func number(_ v: Double) -> String {
            v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : "\(v)"
        }
        func list(_ vs: [Double]) -> String { vs.map(number).joined(separator: "\\") }
        var lines = ["\(path) (DICOM\(hasPreamble ? "" : ", bare dataset without preamble"))"]
        func add(_ key: String, _ value: String) {
            let label = key + ":"
            lines.append("  " + label + String(repeating: " ", count: max(1, 20 - label.count)) + value)
        }
        add("transfer syntax", "\(transferSyntax.uid) (\(transferSyntax.name))")
        add("SOP class", sopClassUID.map { "\($0) (\(sopClassName))" } ?? "none")
        add("modality", modality ?? "none")
        add("size", "\(columns) x \(rows) (columns x rows), \(numberOfFrames) frame\(numberOfFrames == 1 ? "" : "s")")
        add("bits", "\(bitsAllocated) allocated, \(bitsStored) stored, high bit \(highBit), \(isSigned ? "signed" : "unsigned")")
        add("photometric", photometricInterpretation + (photometricInterpretation == "MONOCHROME1" ? " (inverted when read)" : ""))
        add("samples per pixel", "\(samplesPerPixel)")
        add("rescale", "slope \(number(rescaleSlope)), intercept \(number(rescaleIntercept))")
        add("pixel type", "\(pixelType.rawValue) (after inversion and rescale)")
        add("window", windowCenter.isEmpty && windowWidth.isEmpty
            ? "none" : "center \(list(windowCenter)), width \(list(windowWidth)) (not applied)")
        add("VOI LUT", hasVOILUT ? "present (not applied)" : "none")
        add("spacing", "\(number(spacing.x)) x \(number(spacing.y)) (x, y)")
        add("origin", "\(number(origin.x)), \(number(origin.y))")
        add("direction", direction.map(number).joined(separator: " "))
        if let problem = refusal(path: path) {
            let text = problem.description
            add("readable", "no: " + (text.hasPrefix(path + ": ") ? String(text.dropFirst(path.count + 2)) : text))
        } else {
            add("readable", "yes")
        }
        return lines.joined(separator: "\n")
    }

    /// The `ckpt.inspect-dicom/1` JSON report.
    public func json(path: String) -> JSONValue {
        func numbers(_ vs: [Double]) -> JSONValue { .array(vs.map { .double($0) }) }
        let refused = refusal(path: path)
        return .object([
            ("schema", .string("ckpt.inspect-dicom/1")),
            ("path", .string(path)),
            ("preamble", .bool(hasPreamble)),
            ("transfer_syntax", .object([("uid", .string(transferSyntax.uid)), ("name", .string(transferSyntax.name))])),
            ("sop_class_uid", sopClassUID.map(JSONValue.string) ?? .null),
            ("sop_class_name", .string(sopClassName)),
            ("modality", modality.map(JSONValue.string) ?? .null),
            ("rows", .int(rows)), ("columns", .int(columns)), ("frames", .int(numberOfFrames)),
            ("bits_allocated", .int(bitsAllocated)), ("bits_stored", .int(bitsStored)), ("high_bit", .int(highBit)),
            ("signed", .bool(isSigned)), ("samples_per_pixel", .int(samplesPerPixel)),
            ("photometric_interpretation", .string(photometricInterpretation)),
            ("rescale_slope", .double(rescaleSlope)), ("rescale_intercept", .double(rescaleIntercept)),
            ("pixel_type", .string(pixelType.rawValue)),
            ("window_center", numbers(windowCenter)), ("window_width", numbers(windowWidth)),
            ("voi_lut", .bool(hasVOILUT)),
            ("spacing", numbers([spacing.x, spacing.y])), ("origin", numbers([origin.x, origin.y])),
            ("direction", numbers(direction)),
            ("readable", .bool(refused == nil)),
            ("refusal", refused.map { .string($0.description) } ?? .null),
        ])
    }
}

extension DICOMFile {
    /// The header's report with the decoded image's pixel type and value range.
    public func report(path: String) -> String {
        let range = image.values.isEmpty ? "empty" : "min \(Self.number(image.values.min()!)), max \(Self.number(image.values.max()!))"
        return header.report(path: path) + "\n  decoded:            \(image.width) x \(image.height) \(image.pixelType.rawValue), \(range)"
    }

    /// The header's JSON report with a `decoded` object (pixel type, min, max).
    public func json(path: String) -> JSONValue {
        guard case var .object(members) = header.json(path: path) else { return header.json(path: path) }
        members.append(("decoded", .object([
            ("pixel_type", .string(image.pixelType.rawValue)),
            ("min", image.values.min().map(JSONValue.double) ?? .null),
            ("max", image.values.max().map(JSONValue.double) ?? .null),
        ])))
        return .object(members)
    }

    static func number(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : "\(v)" }
}
