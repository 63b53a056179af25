#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Key patterns of the layout tables: names with at most one `{i}` placeholder for a block index.
enum Pattern {
    /// `pattern` with its `{i}` replaced by `index` (unchanged when either is missing).
    static func fill(_ pattern: String, _ index: Int?) -> String {
        let bytes = Array(pattern.utf8)
        guard let index, let at = placeholderOffset(bytes) else { return pattern }
        return spliced(bytes[..<at], index, bytes[(at + placeholder.count)...])
    }

    /// `head`, the decimal `index`, `tail`.
    private static func spliced<Head: Collection<UInt8>, Tail: Collection<UInt8>>(_ head: Head, _ index: Int, _ tail: Tail) -> String {
        var out = Array(head)
        out.append(contentsOf: String(index).utf8)
        out.append(contentsOf: tail)
        return String(decoding: out, as: UTF8.self)
    }

    private static let placeholder: [UInt8] = Array("{i}".utf8)

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

        /// The pattern as written.
        let text: String

        init(_ pattern: String) {
            text = pattern
            let bytes = Array(pattern.utf8)
            if let at = placeholderOffset(bytes) {
                head = Array(bytes[..<at])
                tail = Array(bytes[(at + placeholder.count)...])
            } else {
                head = bytes
                tail = nil
            }
        }

        /// The pattern with `{i}` replaced by `index` (unchanged without placeholder or index).
        func filled(_ index: Int?) -> String {
            guard let tail, let index else { return text }
            return spliced(head, index, tail)
        }

        func match(_ n: UnsafeBufferPointer<UInt8>) -> Int?? {
            var table = Table()
            table.append(self, tag: 0)
            return table.firstMatch(n)
        }
    }

    /// Many patterns, each with a tag, matched against one name at a time. Their bytes sit in one
    /// buffer and their bounds in plain integers, so a scan over all of them neither copies nor
    /// reference-counts anything: detection matches every name of a checkpoint against every
    /// pattern of a layout.
    struct Table: Sendable {
        private var bytes: [UInt8] = []
        private var entries: [Entry] = []

        private struct Entry: Sendable {
            let tag: Int
            let headStart: Int, headCount: Int
            /// -1 for a pattern without placeholder.
            let tailStart: Int, tailCount: Int
        }

        mutating func append(_ pattern: Compiled, tag: Int) {
            let headStart = bytes.count
            bytes += pattern.head
            let tailStart = bytes.count
            bytes += pattern.tail ?? []
            entries.append(Entry(tag: tag, headStart: headStart, headCount: pattern.head.count,
                                 tailStart: tailStart, tailCount: pattern.tail?.count ?? -1))
        }

        /// The tag and block index (nil for a pattern without placeholder) of every pattern `n`
        /// matches, in the order they were appended.
        func matches(_ n: UnsafeBufferPointer<UInt8>) -> [(tag: Int, block: Int?)] {
            var found: [(tag: Int, block: Int?)] = []
            scan(n) { tag, block in found.append((tag, block)); return true }
            return found
        }

        func firstMatch(_ n: UnsafeBufferPointer<UInt8>) -> Int?? {
            var first: Int??
            scan(n) { _, block in first = .some(block); return false }
            return first
        }

        /// Calls `body` for each match until it returns false.
        private func scan(_ n: UnsafeBufferPointer<UInt8>, _ body: (Int, Int?) -> Bool) {
            bytes.withUnsafeBufferPointer { b in
                // Whether `n` holds the `count` table bytes from `start` at `offset`, compared as memory.
                func holds(_ start: Int, _ count: Int, at offset: Int) -> Bool {
                    count == 0 || memcmp(n.baseAddress! + offset, b.baseAddress! + start, count) == 0
                }
                for e in entries {
                    let block: Int?
                    if e.tailCount < 0 {
                        guard n.count == e.headCount, holds(e.headStart, e.headCount, at: 0) else { continue }
                        block = nil
                    } else {
                        // The tail first: a layout's per-block patterns share their head ("blocks.").
                        guard n.count > e.headCount + e.tailCount, holds(e.tailStart, e.tailCount, at: n.count - e.tailCount),
                              holds(e.headStart, e.headCount, at: 0),
                              let index = decimal(n[e.headCount..<(n.count - e.tailCount)]) else { continue }
                        block = index
                    }
                    if !body(e.tag, block) { return }
                }
            }
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
