import CkptCore
/// What `ckpt inspect` shows about a checkpoint, in the documented `ckpt.inspect/1` JSON schema and
/// as text for people.
public struct InspectReport {
    /// The `schema` member of the JSON report.
    public static let schema = "ckpt.inspect/1"
    /// The checkpoint reported on.
    public let checkpoint: Checkpoint
    /// Extra top-level sections added by later stages (e.g. the detected layout), in order.
    public var sections: [(String, JSONValue)] = []
    /// Lines for people only, printed after the sections as `label: text` (the JSON holds the same
    /// facts inside a section, e.g. the layout's notes).
    public var textLines: [(label: String, text: String)] = []

    /// A report of `checkpoint` without extra sections (`addLayoutSection` adds the layout).
    public init(_ checkpoint: Checkpoint) { self.checkpoint = checkpoint }

    /// The report in the `ckpt.inspect/1` schema: path, source, files, metadata, totals, tensors, notes,
    /// then the sections in order.
    public var json: JSONValue {
        let c = checkpoint
        var members: [(String, JSONValue)] = [
            ("schema", .string(Self.schema)),
            ("path", .string(c.path)),
            ("source", .string(c.kind.rawValue)),
            ("files", .array(c.files.map { .string($0.path) })),
            ("metadata", c.metadata.map { .object($0.map { ($0.0, .string($0.1)) }) } ?? .null),
            ("totals", .object([
                ("tensors", .int(c.tensors.count)),
                ("parameters", .int(c.parameterCount)),
                ("bytes", .int(c.byteCount)),
            ])),
            ("tensors", .array(c.tensors.map { t in
                .object([
                    ("name", .string(t.name)),
                    ("dtype", .string(t.dtype.rawValue)),
                    ("shape", .array(t.shape.map { .int($0) })),
                    ("bytes", .int(t.byteCount)),
                ])
            })),
        ]
        if !c.notes.isEmpty { members.append(("notes", .array(c.notes.map { .string($0) }))) }
        members.append(contentsOf: sections)
        return .object(members)
    }

    /// Human-readable text: a summary block, then one line per tensor.
    public var text: String {
        let c = checkpoint
        var lines: [String] = []
        lines.append("\(c.path) (\(c.kind.rawValue), \(c.files.count) file\(c.files.count == 1 ? "" : "s"))")
        lines.append("  tensors:    \(c.tensors.count)")
        lines.append("  parameters: \(Self.grouped(c.parameterCount))")
        lines.append("  bytes:      \(Self.grouped(c.byteCount)) (\(Self.humanBytes(c.byteCount)))")
        if let m = c.metadata, !m.isEmpty {
            lines.append("  metadata:   " + m.map { "\($0.0)=\($0.1)" }.joined(separator: ", "))
        }
        func field(_ label: String, _ text: String) { lines.append("  \(label): \(String(repeating: " ", count: max(0, 10 - label.count)))\(text)") }
        for note in c.notes { field("note", note) }
        for (key, value) in sections {
            if case let .string(s) = value { field(key, s) }
            else if case let .object(o) = value, let summary = o.first(where: { $0.0 == "summary" })?.1.stringValue { field(key, summary) }
        }
        for (label, text) in textLines { field(label, text) }
        // One line per tensor, written as bytes: a RAD-DINO-sized listing built from interpolated
        // Strings and `String(repeating:)` was a seventh of `inspect`'s instructions.
        let nameWidths = c.tensors.map { Self.columns($0.name) }
        let nameWidth = min(64, nameWidths.max() ?? 0)
        // Wide enough for the longest dtype present (F8_E4M3FNUZ is 11), so the shape column lines up.
        let dtypeWidth = c.tensors.map(\.dtype.rawValue.utf8.count).max() ?? 0
        var table: [UInt8] = []
        table.reserveCapacity(c.tensors.count * (nameWidth + dtypeWidth + 40))
        func pad(_ n: Int) { if n > 0 { table.append(contentsOf: repeatElement(UInt8(ascii: " "), count: n)) } }
        for (t, width) in zip(c.tensors, nameWidths) {
            table.append(UInt8(ascii: "\n"))
            table.append(contentsOf: "  ".utf8)
            table.append(contentsOf: t.name.utf8)
            pad(nameWidth - width)
            table.append(contentsOf: "  ".utf8)
            table.append(contentsOf: t.dtype.rawValue.utf8)
            pad(dtypeWidth - t.dtype.rawValue.utf8.count)
            table.append(contentsOf: "  [".utf8)
            for (i, d) in t.shape.enumerated() {
                if i > 0 { table.append(contentsOf: ", ".utf8) }
                table.append(contentsOf: String(d).utf8)
            }
            table.append(contentsOf: "]  ".utf8)
            Self.appendGrouped(t.byteCount, to: &table)
            table.append(contentsOf: " B".utf8)
        }
        return lines.joined(separator: "\n") + String(decoding: table, as: UTF8.self)
    }

    /// The columns a name takes: its characters (its bytes when it is ASCII, the common case).
    private static func columns(_ s: String) -> Int {
        s.utf8.allSatisfy { $0 < 0x80 } ? s.utf8.count : s.count
    }

    /// 86580480 → "86,580,480".
    package static func grouped(_ n: Int) -> String {
        var out: [UInt8] = []
        appendGrouped(n, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static func appendGrouped(_ n: Int, to out: inout [UInt8]) {
        if n < 0 { out.append(UInt8(ascii: "-")) }
        let digits = String(n.magnitude).utf8
        for (i, d) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(UInt8(ascii: ",")) }
            out.append(d)
        }
    }

    /// 346321920 → "330.3 MiB".
    package static func humanBytes(_ n: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(n)
        var unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        if unit == 0 { return "\(n) B" }
        let rounded = (value * 10).rounded() / 10
        return "\(rounded) \(units[unit])"
    }
}
