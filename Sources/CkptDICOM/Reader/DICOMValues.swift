/// Element values as GDCM reads them: strings trimmed of padding, DS/IS numbers parsed the way a C++
/// `istream >> double` does (the longest numeric prefix, correctly rounded), US as 16-bit integers.
struct DICOMValues {
    let values: [DICOMTag: [UInt8]]
    let bigEndian: Bool
    let path: String

    func has(_ tag: DICOMTag) -> Bool { values[tag] != nil }

    /// The element's text without trailing spaces/NULs and leading spaces; nil when absent.
    func string(_ tag: DICOMTag) -> String? {
        guard let bytes = values[tag] else { return nil }
        var slice = bytes[...]
        while let last = slice.last, last == 0 || last == 0x20 { slice.removeLast() }
        while let first = slice.first, first == 0x20 { slice.removeFirst() }
        return String(decoding: slice, as: UTF8.self)
    }

    /// The first US value; nil when absent. A value of fewer than two bytes is malformed.
    func uint16(_ tag: DICOMTag) throws -> Int? {
        guard let bytes = values[tag] else { return nil }
        guard bytes.count >= 2 else {
            throw DICOMProblem.badValue(path: path, tag: tag, value: "\(bytes.count) bytes", expected: "a 16-bit unsigned integer (US)")
        }
        let v = bigEndian ? UInt16(bytes[0]) << 8 | UInt16(bytes[1]) : UInt16(bytes[1]) << 8 | UInt16(bytes[0])
        return Int(v)
    }

    /// The backslash-separated numbers of a DS or IS element; nil when absent or empty. A value with
    /// no number at its start is refused (GDCM's stream would fail there).
    func numbers(_ tag: DICOMTag) throws -> [Double]? {
        guard let text = string(tag), !text.isEmpty else { return nil }
        return try text.split(separator: "\\", omittingEmptySubsequences: false).map { part in
            guard let v = Self.parseDecimal(Substring(part)) else {
                throw DICOMProblem.badValue(path: path, tag: tag, value: "\"\(text)\"", expected: "decimal numbers separated by \\")
            }
            return v
        }
    }

    /// The number at the start of `text` after leading spaces, as `std::istream >> double` reads it:
    /// `[+-]digits[.digits][(e|E)[+-]digits]`, at least one digit in the mantissa.
    static func parseDecimal(_ text: Substring) -> Double? {
        let u = Array(text.utf8)
        var i = 0
        while i < u.count, u[i] == 0x20 || u[i] == 0x09 { i += 1 }
        let start = i
        func digits() -> Int {
            let s = i
            while i < u.count, (0x30...0x39).contains(u[i]) { i += 1 }
            return i - s
        }
        if i < u.count, u[i] == 0x2B || u[i] == 0x2D { i += 1 }
        var mantissa = digits()
        if i < u.count, u[i] == 0x2E {
            i += 1
            mantissa += digits()
        }
        guard mantissa > 0 else { return nil }
        var end = i
        if i < u.count, u[i] == 0x65 || u[i] == 0x45 {
            i += 1
            if i < u.count, u[i] == 0x2B || u[i] == 0x2D { i += 1 }
            if digits() > 0 { end = i }
        }
        return Double(String(decoding: u[start..<end], as: UTF8.self))
    }
}
