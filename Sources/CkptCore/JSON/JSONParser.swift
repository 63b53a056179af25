/// Why a JSON text was refused, with the byte offset where reading stopped.
public struct JSONError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Byte offset in the document where parsing stopped.
    public let offset: Int
    /// What was wrong there.
    public let message: String
    /// For a key given twice in one object: the key, and the object's nesting depth (1 = top level),
    /// so a caller can say what the key means (a safetensors tensor name, say).
    public let duplicateKey: String?
    /// Nesting depth at the error (0 for the top-level value).
    public let depth: Int
    /// `message at byte offset`.
    public var description: String { "\(message) at byte \(offset)" }
    /// True for a string whose bytes are not UTF-8 (the one error a caller may want to name apart).
    package var isInvalidUTF8: Bool { message == Self.invalidUTF8Message }
    static let invalidUTF8Message = "string is not valid UTF-8"

    package init(offset: Int, message: String, duplicateKey: String? = nil, depth: Int = 0) {
        self.offset = offset
        self.message = message
        self.duplicateKey = duplicateKey
        self.depth = depth
    }
}

/// A strict JSON reader (RFC 8259) for untrusted headers.
///
/// Stricter than Foundation's: a key repeated in one object is an error (other parsers silently keep
/// one of the values, a known parser differential), nesting is limited to `maxDepth`, strings must be
/// valid UTF-8 without raw control characters or lone surrogates, and nothing but whitespace may
/// follow the document.
///
/// Besides building whole documents, the reader lends its steps (`beginObject`, `nextKey`, `parseString`,
/// `skipValue`, …) to readers of one known schema inside CkptCore, so a safetensors header is read
/// member by member straight from the mapped file instead of as a tree (`SafetensorsHeader`).
package struct StrictJSONParser {
    package static let defaultMaxDepth = 64

    // Lent by the caller of `withParser` for the parser's lifetime; never escapes it.
    private let bytes: UnsafeRawBufferPointer
    private var pos = 0
    private(set) var depth = 0
    private let maxDepth: Int
    /// False while a value is only being checked (`skipValue`): containers are then read in full but
    /// not kept, so the size of a skipped value costs no memory.
    private var building = true

    private init(_ bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// Parses one complete JSON document.
    package static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws -> JSONValue {
        try bytes.withUnsafeBytes { raw in
            try withParser(raw, maxDepth: maxDepth) { parser in
                parser.skipWhitespace()
                let value = try parser.parseValue()
                try parser.finish()
                return value
            }
        }
    }

    package static func parse(_ text: String, maxDepth: Int = defaultMaxDepth) throws -> JSONValue {
        try parse(Array(text.utf8), maxDepth: maxDepth)
    }

    /// Runs `body` with a parser over `bytes`, which must stay valid for the call.
    static func withParser<R>(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = defaultMaxDepth,
                              _ body: (inout StrictJSONParser) throws -> R) rethrows -> R {
        var parser = StrictJSONParser(bytes, maxDepth: maxDepth)
        return try body(&parser)
    }

    // MARK: - Steps, for schema readers in this module

    /// Byte offset of the next byte to read.
    var position: Int { pos }

    /// The next byte after whitespace, not consumed; nil at the end.
    mutating func peek() -> UInt8? {
        skipWhitespace()
        return pos < bytes.count ? bytes[pos] : nil
    }

    /// What kind of value starts at the next byte, named as `JSONValue.kindName` does (meaningful for a
    /// value that then parses; callers check it with `skipValue`).
    mutating func nextKindName() -> String {
        switch peek() {
        case UInt8(ascii: "{"): return "an object"
        case UInt8(ascii: "["): return "an array"
        case UInt8(ascii: "\""): return "a string"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return "a boolean"
        case UInt8(ascii: "n"): return "null"
        default: return "a number"
        }
    }

    /// Goes back to `position` and `depth` (both recorded earlier during this parse), to read a value again.
    mutating func rewind(to position: Int, depth: Int) {
        pos = position
        self.depth = depth
    }

    /// Checks the next value without keeping it.
    mutating func skipValue() throws {
        let saved = building
        building = false
        defer { building = saved }
        skipWhitespace()
        _ = try parseValue()
    }

    /// After the document: only whitespace may follow.
    mutating func finish() throws {
        skipWhitespace()
        if pos < bytes.count {
            if UnsafeRawBufferPointer(rebasing: bytes[pos...]).allSatisfy({ $0 == 0 }) {
                throw fail("NUL bytes after the JSON document (padding must be spaces)")
            }
            throw fail("unexpected bytes after the JSON document")
        }
    }

    /// Consumes the `{` of an object (the next byte must be one) and enters it.
    mutating func beginObject() throws {
        try enter()
        pos += 1
    }

    /// The next key of the object being read, its `:` consumed, or nil after its closing `}`.
    /// `first` is true before the first member; `seen` holds the keys so far (a repeat is an error).
    mutating func nextKey<Memory: JSONKeyMemory>(first: inout Bool, seen: inout Memory) throws -> String? {
        skipWhitespace()
        if first {
            first = false
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { close(); return nil }
        } else {
            guard pos < bytes.count else { throw fail("unexpected end of JSON in an object") }
            if bytes[pos] == UInt8(ascii: "}") { close(); return nil }
            guard bytes[pos] == UInt8(ascii: ",") else { throw fail("expected ',' or '}'") }
            pos += 1
            skipWhitespace()
        }
        guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
        let keyStart = pos
        let key = try parseString()
        guard seen.remember(key) else {
            throw JSONError(offset: keyStart, message: "duplicate key \"\(key)\"", duplicateKey: key, depth: depth)
        }
        skipWhitespace()
        guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw fail("expected ':'") }
        pos += 1
        skipWhitespace()
        return key
    }

    /// Consumes the `[` of an array (the next byte must be one) and enters it.
    mutating func beginArray() throws {
        try enter()
        pos += 1
    }

    /// True when another element of the array being read follows (positioned at it), false after
    /// the closing `]`. `first` is true before the first element.
    mutating func nextElement(first: inout Bool) throws -> Bool {
        skipWhitespace()
        if first {
            first = false
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { close(); return false }
            return true
        }
        guard pos < bytes.count else { throw fail("unexpected end of JSON in an array") }
        if bytes[pos] == UInt8(ascii: "]") { close(); return false }
        guard bytes[pos] == UInt8(ascii: ",") else { throw fail("expected ',' or ']'") }
        pos += 1
        skipWhitespace()
        return true
    }

    /// Consumes a closing bracket and leaves the container.
    private mutating func close() {
        pos += 1
        depth -= 1
    }

    func fail(_ message: String) -> JSONError { JSONError(offset: pos, message: message) }

    // MARK: - Values

    private mutating func skipWhitespace() {
        while pos < bytes.count {
            switch bytes[pos] {
            case 0x20, 0x09, 0x0A, 0x0D: pos += 1
            default: return
            }
        }
    }

    private mutating func expect(_ literal: StaticString, _ value: JSONValue) throws -> JSONValue {
        let lit = UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        guard pos + lit.count <= bytes.count, bytes[pos..<pos + lit.count].elementsEqual(lit) else {
            throw fail("invalid literal")
        }
        pos += lit.count
        return value
    }

    mutating func parseValue() throws -> JSONValue {
        guard pos < bytes.count else { throw fail("unexpected end of JSON") }
        switch bytes[pos] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "n"): return try expect("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw fail("unexpected character '\(Self.printable(bytes[pos]))'")
        }
    }

    private static func printable(_ b: UInt8) -> String {
        (0x20..<0x7F).contains(b) ? String(UnicodeScalar(b)) : "\\x" + String(b, radix: 16)
    }

    private mutating func enter() throws {
        depth += 1
        if depth > maxDepth { throw fail("nesting deeper than \(maxDepth) levels") }
    }

    private mutating func parseObject() throws -> JSONValue {
        try beginObject()
        var members: [(String, JSONValue)] = []
        var seen = Set<String>()
        var first = true
        while let key = try nextKey(first: &first, seen: &seen) {
            let value = try parseValue()
            if building { members.append((key, value)) }
        }
        return building ? .object(members) : .null
    }

    private mutating func parseArray() throws -> JSONValue {
        try beginArray()
        var items: [JSONValue] = []
        var first = true
        while try nextElement(first: &first) {
            let value = try parseValue()
            if building { items.append(value) }
        }
        return building ? .array(items) : .null
    }

    /// The text of the number at the next byte (validated as JSON's number grammar).
    mutating func parseNumber() throws -> String {
        let start = pos
        func digits() -> Int {
            let s = pos
            while pos < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[pos]) { pos += 1 }
            return pos - s
        }
        if bytes[pos] == UInt8(ascii: "-") { pos += 1 }
        guard pos < bytes.count else { throw fail("truncated number") }
        if bytes[pos] == UInt8(ascii: "0") {
            pos += 1
        } else if digits() == 0 {
            throw fail("invalid number")
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            pos += 1
            guard digits() > 0 else { throw fail("invalid number: no digits after '.'") }
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
            pos += 1
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            guard digits() > 0 else { throw fail("invalid number: no digits in exponent") }
        }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
    }

    private mutating func hex4() throws -> UInt32 {
        guard pos + 4 <= bytes.count else { throw fail("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[pos]
            let digit: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw fail("invalid hex digit in \\u escape")
            }
            value = value << 4 | digit
            pos += 1
        }
        return value
    }

    /// The string at the next byte (its opening quote), unescaped and checked.
    mutating func parseString() throws -> String {
        pos += 1  // opening quote
        // Most strings have no escape: made straight from the input's bytes, without a growing copy
        // (which for a string of tens of megabytes would cost up to twice its size again).
        var end = pos
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20 { end += 1 }
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            let s = String(validating: UnsafeRawBufferPointer(rebasing: bytes[pos..<end]), as: UTF8.self)
            pos = end
            guard let s else { throw fail(JSONError.invalidUTF8Message) }
            pos += 1
            return s
        }
        var out: [UInt8] = []
        while true {
            guard pos < bytes.count else { throw fail("unterminated string") }
            let b = bytes[pos]
            switch b {
            case UInt8(ascii: "\""):
                pos += 1
                guard let s = String(validating: out, as: UTF8.self) else {
                    throw fail(JSONError.invalidUTF8Message)
                }
                return s
            case UInt8(ascii: "\\"):
                pos += 1
                guard pos < bytes.count else { throw fail("unterminated escape") }
                let e = bytes[pos]
                pos += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard pos + 2 <= bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u")
                        else { throw fail("lone leading surrogate in \\u escape") }
                        pos += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("invalid trailing surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw fail("lone trailing surrogate in \\u escape")
                    }
                    // Valid by construction: surrogates were excluded above.
                    out.append(contentsOf: Array(String(Character(UnicodeScalar(scalar)!)).utf8))
                default: throw fail("invalid escape '\\\(Self.printable(e))'")
                }
            case 0..<0x20:
                throw fail("raw control character in string")
            default:
                out.append(b)
                pos += 1
            }
        }
    }
}

/// The keys an object has had so far, so that a repeated one is refused.
package protocol JSONKeyMemory {
    /// Adds `key`; false when it was already there.
    mutating func remember(_ key: String) -> Bool
}

extension Set<String>: JSONKeyMemory {
    package mutating func remember(_ key: String) -> Bool { insert(key).inserted }
}

/// For objects that allow only a few keys (a safetensors tensor entry has three, and refuses any
/// other): a linear search, cheaper than hashing every key of a 10⁴-tensor header.
package struct FewJSONKeys: JSONKeyMemory {
    private var keys: [String] = []

    package init() {}

    package mutating func remember(_ key: String) -> Bool {
        if keys.contains(key) { return false }
        keys.append(key)
        return true
    }
}
