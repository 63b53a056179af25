/// Key patterns of the layout tables: names with at most one `{i}` placeholder for a block index.
enum Pattern {
    static func fill(_ pattern: String, _ index: Int?) -> String {
        let bytes = Array(pattern.utf8)
        guard let index, let at = placeholderOffset(bytes) else { return pattern }
        return String(decoding: bytes[..<at], as: UTF8.self) + String(index)
            + String(decoding: bytes[(at + placeholder.count)...], as: UTF8.self)
    }

    private static let placeholder: [UInt8] = Array("{i}".utf8)

    /// Whether `pattern` holds `{i}` (on bytes: `String.contains` costs `inspect` 0.4 M instructions).
    static func hasPlaceholder(_ pattern: String) -> Bool { placeholderOffset(Array(pattern.utf8)) != nil }

    /// `.some(nil)` for an exact match of a pattern without placeholder, `.some(i)` when `{i}` matched
    /// the decimal integer i (no sign, no leading zeros), nil when the name does not match.
    static func match(_ pattern: String, _ name: String) -> Int?? {
        var name = name
        return name.withUTF8 { Compiled(pattern).match($0) }
    }

    /// A pattern split at its placeholder, matched on raw UTF-8 bytes (the standard library's generic
    /// `firstRange(of:)` once cost `inspect` half its instructions).
    struct Compiled {
        let head: [UInt8]
        /// nil for a pattern without placeholder (matched exactly by `head`).
        let tail: [UInt8]?

        init(_ pattern: String) {
            let bytes = Array(pattern.utf8)
            if let at = placeholderOffset(bytes) {
                head = Array(bytes[..<at])
                tail = Array(bytes[(at + placeholder.count)...])
            } else {
                head = bytes
                tail = nil
            }
        }

        func match(_ n: UnsafeBufferPointer<UInt8>) -> Int?? {
            guard let tail else { return n.elementsEqual(head) ? .some(nil) : nil }
            guard n.count > head.count + tail.count,
                  n.prefix(head.count).elementsEqual(head), n.suffix(tail.count).elementsEqual(tail) else { return nil }
            return decimal(n[head.count..<(n.count - tail.count)]).map { .some($0) }
        }
    }

    private static func placeholderOffset(_ bytes: [UInt8]) -> Int? {
        let k = placeholder.count
        guard bytes.count >= k else { return nil }
        for i in 0...(bytes.count - k) where bytes[i] == placeholder[0] {
            if bytes[(i + 1)..<(i + k)].elementsEqual(placeholder[1...]) { return i }
        }
        return nil
    }

    /// A canonical non-negative decimal ("0", "12"; not "01", "+1", "1e2", nor one that overflows Int).
    static func decimal<S: StringProtocol>(_ text: S) -> Int? { decimal(Array(text.utf8)[...]) }

    private static func decimal<C: Collection>(_ digits: C) -> Int? where C.Element == UInt8 {
        guard let first = digits.first, digits.count == 1 || first != UInt8(ascii: "0") else { return nil }
        var value = 0
        for c in digits {
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(c - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            value = sum
        }
        return value
    }
}
