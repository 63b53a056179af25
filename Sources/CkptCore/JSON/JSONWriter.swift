/// Writes `JSONValue`s: compact (the exact bytes `serde_json` writes, which the safetensors header
/// needs for byte-identical files) or indented for people.
public enum JSONWriter {
    /// Compact JSON: no spaces, members in stored order, strings escaped as `serde_json` does
    /// (`\"`, `\\`, `\n`, `\t`, `\r`, `\b`, `\f`, other control characters as `\u00XX`, all else raw UTF-8).
    public static func compact(_ value: JSONValue) -> String {
        var out = ""
        write(value, into: &out, indent: nil, level: 0)
        return out
    }

    /// Indented JSON (two spaces), members in stored order, ending without a newline.
    public static func pretty(_ value: JSONValue) -> String {
        var out = ""
        write(value, into: &out, indent: "  ", level: 0)
        return out
    }

    package static func escape(_ s: String, into out: inout String) {
        out.append("\"")
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case "\u{08}": out.append("\\b")
            case "\u{0C}": out.append("\\f")
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out.append("\"")
    }

    private static func write(_ value: JSONValue, into out: inout String, indent: String?, level: Int) {
        func newline(_ l: Int) {
            guard let indent else { return }
            out.append("\n")
            out.append(String(repeating: indent, count: l))
        }
        switch value {
        case let .object(members):
            if members.isEmpty { out.append("{}"); return }
            out.append("{")
            for (i, (key, member)) in members.enumerated() {
                if i > 0 { out.append(",") }
                newline(level + 1)
                escape(key, into: &out)
                out.append(indent == nil ? ":" : ": ")
                write(member, into: &out, indent: indent, level: level + 1)
            }
            newline(level)
            out.append("}")
        case let .array(items):
            if items.isEmpty { out.append("[]"); return }
            // Arrays of scalars (shapes, offsets) stay on one line even when indenting.
            let flat = items.allSatisfy {
                if case .object = $0 { return false }
                if case .array = $0 { return false }
                return true
            }
            out.append("[")
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(flat && indent != nil ? ", " : ",") }
                if !flat { newline(level + 1) }
                write(item, into: &out, indent: indent, level: level + 1)
            }
            if !flat { newline(level) }
            out.append("]")
        case let .string(s): escape(s, into: &out)
        case let .number(text): out.append(text)
        case let .bool(b): out.append(b ? "true" : "false")
        case .null: out.append("null")
        }
    }
}
