import CkptCore
import Glibc

/// Tensor-by-tensor comparison of two checkpoints (`ckpt diff`), in the `ckpt.diff/1` JSON schema.
///
/// For each tensor present on both sides: `identical` when dtype, shape and bytes are equal;
/// otherwise, for floating-point tensors, the maximum absolute difference max|a−b|, the maximum
/// relative difference max(|a−b| / |b|) over elements with b ≠ 0, and the cosine
/// Σab / (‖a‖·‖b‖), all accumulated in Float64 from the F32 values. NaN never compares equal: a NaN
/// on either side makes the tensor `different` and its statistics null.
///
/// `ckpt.diff/1`, members in this order: `schema`; `status` (`identical`, `within_atol`, `different`);
/// `a`, `b` (paths); `layout` (`{a, b, mapped}`: the two layouts and whether B was mapped into A's);
/// `atol` (number or null); `counts` (`{identical, within_atol, different, only_in_a, only_in_b}`);
/// `tensors`: `[{key, status, dtype_a, dtype_b, shape_a, shape_b, max_abs_diff, max_rel_diff, cosine}]`
/// for every tensor on both sides, sorted by key, `status` one of `identical`, `within_atol`,
/// `different`, `shape_mismatch`, `dtype_mismatch`; `only_in_a`, `only_in_b`: sorted key lists.
public struct CheckpointDiff: Sendable {
    /// The `schema` member of the JSON report.
    public static let schema = "ckpt.diff/1"

    /// How one tensor present on both sides compares.
    public struct Entry: Equatable, Sendable {
        /// The verdict for one tensor; raw values are the `status` strings of `ckpt.diff/1`.
        public enum Status: String, Sendable { case identical, withinAtol = "within_atol", different,
                                                    shapeMismatch = "shape_mismatch", dtypeMismatch = "dtype_mismatch" }
        /// The tensor name (in A's layout).
        public var key: String
        /// The verdict.
        public var status: Status
        /// The dtypes on each side.
        public var dtypeA: DType, dtypeB: DType
        /// The shapes on each side.
        public var shapeA: [Int], shapeB: [Int]
        /// nil when not computed (identical, mismatched, non-float) or undefined (NaN present).
        public var maxAbsDiff: Double?
        /// max(|a−b| / |b|) over b ≠ 0; nil as for `maxAbsDiff`.
        public var maxRelDiff: Double?
        /// Σab / (‖a‖·‖b‖); nil as for `maxAbsDiff`.
        public var cosine: Double?
    }

    /// The first checkpoint.
    public var pathA: String
    /// The second checkpoint.
    public var pathB: String
    /// A's detected layout, nil when none fits.
    public var layoutA: String?
    /// B's detected layout, nil when none fits.
    public var layoutB: String?
    /// B's tensors were renamed (and regrouped) into A's layout before comparing.
    public var mapped: Bool
    /// The tolerance for `within_atol`, nil for bit-exact only.
    public var atol: Double?
    /// Tensors on both sides, sorted by key.
    public var entries: [Entry]
    /// Keys only A has, sorted.
    public var onlyInA: [String]
    /// Keys only B has (in A's layout), sorted.
    public var onlyInB: [String]

    package init(pathA: String, pathB: String, layoutA: String?, layoutB: String?, mapped: Bool, atol: Double?,
                entries: [Entry], onlyInA: [String], onlyInB: [String]) {
        self.pathA = pathA
        self.pathB = pathB
        self.layoutA = layoutA
        self.layoutB = layoutB
        self.mapped = mapped
        self.atol = atol
        self.entries = entries
        self.onlyInA = onlyInA
        self.onlyInB = onlyInB
    }

    /// True when every tensor is on both sides and each is identical or within `atol`.
    public var passed: Bool {
        onlyInA.isEmpty && onlyInB.isEmpty && entries.allSatisfy { $0.status == .identical || $0.status == .withinAtol }
    }

    /// True when every tensor is on both sides and bit-identical.
    public var identical: Bool { onlyInA.isEmpty && onlyInB.isEmpty && entries.allSatisfy { $0.status == .identical } }
    /// `ckpt diff`'s exit code: 0 when `passed`, else 1.
    public var exitCode: Int32 { passed ? 0 : 1 }

    /// Compares two lists of tensors by name.
    /// - Parameter atol: a float tensor whose max|a−b| ≤ atol (and no NaN) counts as a match.
    public static func compare(_ a: [TensorEntry], _ b: [TensorEntry], atol: Double?) throws -> (entries: [Entry], onlyInA: [String], onlyInB: [String]) {
        let byName = Dictionary(b.map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
        let namesA = Set(a.map(\.name))
        var entries: [Entry] = []
        for ta in a {
            guard let tb = byName[ta.name] else { continue }
            entries.append(try compare(ta, tb, atol: atol))
        }
        let sort: ([String]) -> [String] = { $0.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } }
        return (entries.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) },
                sort(a.map(\.name).filter { byName[$0] == nil }),
                sort(b.map(\.name).filter { !namesA.contains($0) }))
    }

    static func compare(_ a: TensorEntry, _ b: TensorEntry, atol: Double?) throws -> Entry {
        var e = Entry(key: a.name, status: .different, dtypeA: a.dtype, dtypeB: b.dtype, shapeA: a.shape, shapeB: b.shape,
                      maxAbsDiff: nil, maxRelDiff: nil, cosine: nil)
        if a.shape != b.shape { e.status = .shapeMismatch; return e }
        if a.dtype == b.dtype, try bytesEqual(a, b) { e.status = .identical; return e }
        guard a.dtype.isCastableFloat, b.dtype.isCastableFloat else {
            e.status = a.dtype == b.dtype ? .different : .dtypeMismatch
            return e
        }
        let stats = try a.withFloat32 { x in try b.withFloat32 { y in Self.statistics(x, y) } }
        e.maxAbsDiff = stats.maxAbs
        e.maxRelDiff = stats.maxRel
        e.cosine = stats.cosine
        if let atol, let d = stats.maxAbs, d <= atol { e.status = .withinAtol }
        return e
    }

    static func bytesEqual(_ a: TensorEntry, _ b: TensorEntry) throws -> Bool {
        guard a.byteCount == b.byteCount else { return false }
        return try a.withContiguousBytes { x in
            try b.withContiguousBytes { y in x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 }
        }
    }

    /// max|a−b|, max |a−b|/|b| over b ≠ 0, cosine; all nil when either side holds a NaN.
    static func statistics(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeBufferPointer<Float>) -> (maxAbs: Double?, maxRel: Double?, cosine: Double?) {
        var maxAbs = 0.0, maxRel = 0.0, dot = 0.0, nx = 0.0, ny = 0.0
        for i in 0..<min(x.count, y.count) {
            let a = Double(x[i]), b = Double(y[i])
            if a.isNaN || b.isNaN { return (nil, nil, nil) }
            let d = a == b ? 0 : abs(a - b)  // equal infinities differ by 0, not NaN
            maxAbs = max(maxAbs, d)
            if b != 0 { maxRel = max(maxRel, d / abs(b)) }
            dot += a * b
            nx += a * a
            ny += b * b
        }
        let cosine = nx > 0 && ny > 0 ? dot / (nx.squareRoot() * ny.squareRoot()) : nil
        return (maxAbs, maxRel, cosine)
    }

    // MARK: - Output

    /// The report in the `ckpt.diff/1` schema.
    public var json: JSONValue {
        let count: (Entry.Status) -> Int = { s in entries.filter { $0.status == s }.count }
        let status = identical ? "identical" : (passed ? "within_atol" : "different")
        return .object([
            ("schema", .string(Self.schema)),
            ("status", .string(status)),
            ("a", .string(pathA)),
            ("b", .string(pathB)),
            ("layout", .object([("a", layoutA.map { .string($0) } ?? .null), ("b", layoutB.map { .string($0) } ?? .null),
                                ("mapped", .bool(mapped))])),
            ("atol", atol.map { .double($0) } ?? .null),
            ("counts", .object([
                ("identical", .int(count(.identical))),
                ("within_atol", .int(count(.withinAtol))),
                ("different", .int(entries.count - count(.identical) - count(.withinAtol))),
                ("only_in_a", .int(onlyInA.count)),
                ("only_in_b", .int(onlyInB.count)),
            ])),
            ("tensors", .array(entries.map { e in
                .object([
                    ("key", .string(e.key)),
                    ("status", .string(e.status.rawValue)),
                    ("dtype_a", .string(e.dtypeA.rawValue)), ("dtype_b", .string(e.dtypeB.rawValue)),
                    ("shape_a", Shapes.json(e.shapeA)), ("shape_b", Shapes.json(e.shapeB)),
                    ("max_abs_diff", e.maxAbsDiff.map { Self.number($0) } ?? .null),
                    ("max_rel_diff", e.maxRelDiff.map { Self.number($0) } ?? .null),
                    ("cosine", e.cosine.map { Self.number($0) } ?? .null),
                ])
            })),
            ("only_in_a", .array(onlyInA.map { .string($0) })),
            ("only_in_b", .array(onlyInB.map { .string($0) })),
        ])
    }

    /// Full precision in JSON (`JSONValue.double` would print integral values without a fraction).
    static func number(_ v: Double) -> JSONValue { v.isFinite ? .number("\(v)") : .null }

    /// Verdict line, then only what differs: tensors not identical (worst first) and one-sided keys.
    public func text(color: Bool = false, limit: Int = 25) -> String {
        let style = TextStyle(color: color)
        let same = entries.filter { $0.status == .identical }.count
        let within = entries.filter { $0.status == .withinAtol }
        let differing = entries.filter { $0.status != .identical && $0.status != .withinAtol }
        let mapping = mapped ? " (B mapped from \(layoutB ?? "?") into \(layoutA ?? "?"))" : ""
        var lines: [String] = []
        if identical {
            lines.append("\(style.green("IDENTICAL")) \(pathA) and \(pathB): all \(entries.count) tensors bit-identical\(mapping)")
        } else if passed {
            lines.append("\(style.green("WITHIN ATOL")) \(pathA) and \(pathB): \(same) identical, \(within.count) within atol \(atol.map { "\($0)" } ?? "")\(mapping)")
        } else {
            lines.append("\(style.red("DIFFERENT")) \(pathA) and \(pathB): \(same) identical, \(within.count) within atol, \(differing.count) different, \(onlyInA.count) only in A, \(onlyInB.count) only in B\(mapping)")
        }
        let shown = (differing + within).sorted { ($0.maxAbsDiff ?? .infinity) > ($1.maxAbsDiff ?? .infinity) }
        if !shown.isEmpty {
            lines.append(style.bold("tensors that differ (\(shown.count))"))
            let width = min(56, shown.prefix(limit).map(\.key.count).max() ?? 0)
            for e in shown.prefix(limit) { lines.append("  " + TextStyle.pad(e.key, width) + "  " + Self.describe(e)) }
            if shown.count > limit { lines.append("  … and \(shown.count - limit) more (--json lists all)") }
        }
        for (title, keys) in [("only in A", onlyInA), ("only in B", onlyInB)] where !keys.isEmpty {
            lines.append(style.bold("\(title) (\(keys.count))"))
            for k in keys.prefix(limit) { lines.append("  \(k)") }
            if keys.count > limit { lines.append("  … and \(keys.count - limit) more (--json lists all)") }
        }
        return lines.joined(separator: "\n")
    }

    static func describe(_ e: Entry) -> String {
        switch e.status {
        case .shapeMismatch: return "shape \(Shapes.text(e.shapeA)) vs \(Shapes.text(e.shapeB))"
        case .dtypeMismatch: return "dtype \(e.dtypeA.rawValue) vs \(e.dtypeB.rawValue), not comparable"
        case .identical: return "identical"
        case .different, .withinAtol:
            guard let d = e.maxAbsDiff else {
                return e.dtypeA.isCastableFloat ? "NaN on one side" : "bytes differ (\(e.dtypeA.rawValue))"
            }
            var s = "max abs \(format(d)), max rel \(format(e.maxRelDiff ?? 0))"
            if let c = e.cosine { s += ", cosine \(cFormat("%.12f", c))" }
            if e.dtypeA != e.dtypeB { s += " (\(e.dtypeA.rawValue) vs \(e.dtypeB.rawValue))" }
            return s
        }
    }

    static func format(_ v: Double) -> String { cFormat("%.3e", v) }
}
