import CkptCheckpoint
import CkptFormat

/// The DINOv2 backbone key table: every original key, its Hugging Face counterpart(s) and its shape
/// rule, in one place. Conversions in both directions, detection and the strict expectation of
/// `verify` are all read from this table; nothing else spells a backbone key.

/// A dimension of a tensor shape, resolved against an `Architecture`.
enum Dim: Sendable {
    case one
    case channels  // 3 input channels
    case width  // D
    case qkvRows  // 3D
    case tokens  // 1 + G² position-table rows
    case registers  // R
    case patch  // p
    case ffnInRows  // fc1: 4D; w12: 2H
    case ffnHidden  // fc2 / w3 input: 4D or H

    func value(_ a: Architecture) -> Int {
        switch self {
        case .one: return 1
        case .channels: return 3
        case .width: return a.width
        case .qkvRows: return 3 * a.width
        case .tokens: return 1 + a.gridSize * a.gridSize
        case .registers: return a.registers
        case .patch: return a.patchSize
        case .ffnInRows: return a.ffn == .mlp ? a.ffnHidden : 2 * a.ffnHidden
        case .ffnHidden: return a.ffnHidden
        }
    }
}

/// How the bytes of an original tensor relate to its Hugging Face counterpart(s).
enum ValueTransform: Sendable {
    /// Same bytes under another name.
    case rename
    /// The original tensor is the row-wise concatenation `[q; k; v]` of the HF tensors (each a third of
    /// the rows, no per-head permutation). Fusing is three consecutive byte ranges; splitting is three
    /// sub-ranges, so both directions copy bytes unchanged.
    case qkvRows
}

/// When a rule applies.
enum RuleCondition: Sendable {
    case always
    case registers  // R > 0
    case mlp
    case swiglu

    func holds(_ a: Architecture) -> Bool {
        switch self {
        case .always: return true
        case .registers: return a.registers > 0
        case .mlp: return a.ffn == .mlp
        case .swiglu: return a.ffn == .swiglu
        }
    }
}

/// One row of the table. `{i}` in a pattern is the block index.
struct BackboneRule: Sendable {
    let dinov2: String
    let hf: [String]
    let shape: [Dim]
    let transform: ValueTransform
    let condition: RuleCondition

    init(_ dinov2: String, _ hf: String, _ shape: [Dim], when condition: RuleCondition = .always) {
        self.dinov2 = dinov2
        self.hf = [hf]
        self.shape = shape
        self.transform = .rename
        self.condition = condition
    }

    init(fused dinov2: String, _ hf: [String], _ shape: [Dim]) {
        self.dinov2 = dinov2
        self.hf = hf
        self.shape = shape
        self.transform = .qkvRows
        self.condition = .always
    }

    var perBlock: Bool { Pattern.hasPlaceholder(dinov2) }
}

/// A rule instantiated for one block (or for the embeddings, `block == nil`).
struct BackboneKey: Sendable {
    let rule: BackboneRule
    let block: Int?
    var dinov2: String { Pattern.fill(rule.dinov2, block) }
    var hf: [String] { rule.hf.map { Pattern.fill($0, block) } }
    func shape(_ a: Architecture) -> [Int] { rule.shape.map { $0.value(a) } }
    /// Shape of each HF part: the original shape with its rows divided among the parts.
    func hfShape(_ a: Architecture) -> [Int] {
        var s = shape(a)
        s[0] /= rule.hf.count
        return s
    }
}

enum BackboneTable {
    /// Order: the original module's `state_dict` order (and `golden/SYNTH.md`'s).
    static let rules: [BackboneRule] = [
        BackboneRule("cls_token", "embeddings.cls_token", [.one, .one, .width]),
        BackboneRule("pos_embed", "embeddings.position_embeddings", [.one, .tokens, .width]),
        BackboneRule("register_tokens", "embeddings.register_tokens", [.one, .registers, .width], when: .registers),
        BackboneRule("mask_token", "embeddings.mask_token", [.one, .width]),
        BackboneRule("patch_embed.proj.weight", "embeddings.patch_embeddings.projection.weight", [.width, .channels, .patch, .patch]),
        BackboneRule("patch_embed.proj.bias", "embeddings.patch_embeddings.projection.bias", [.width]),
        BackboneRule("norm.weight", "layernorm.weight", [.width]),
        BackboneRule("norm.bias", "layernorm.bias", [.width]),
        BackboneRule("blocks.{i}.norm1.weight", "encoder.layer.{i}.norm1.weight", [.width]),
        BackboneRule("blocks.{i}.norm1.bias", "encoder.layer.{i}.norm1.bias", [.width]),
        BackboneRule(fused: "blocks.{i}.attn.qkv.weight", [
            "encoder.layer.{i}.attention.attention.query.weight",
            "encoder.layer.{i}.attention.attention.key.weight",
            "encoder.layer.{i}.attention.attention.value.weight",
        ], [.qkvRows, .width]),
        BackboneRule(fused: "blocks.{i}.attn.qkv.bias", [
            "encoder.layer.{i}.attention.attention.query.bias",
            "encoder.layer.{i}.attention.attention.key.bias",
            "encoder.layer.{i}.attention.attention.value.bias",
        ], [.qkvRows]),
        BackboneRule("blocks.{i}.attn.proj.weight", "encoder.layer.{i}.attention.output.dense.weight", [.width, .width]),
        BackboneRule("blocks.{i}.attn.proj.bias", "encoder.layer.{i}.attention.output.dense.bias", [.width]),
        BackboneRule("blocks.{i}.ls1.gamma", "encoder.layer.{i}.layer_scale1.lambda1", [.width]),
        BackboneRule("blocks.{i}.norm2.weight", "encoder.layer.{i}.norm2.weight", [.width]),
        BackboneRule("blocks.{i}.norm2.bias", "encoder.layer.{i}.norm2.bias", [.width]),
        BackboneRule("blocks.{i}.mlp.fc1.weight", "encoder.layer.{i}.mlp.fc1.weight", [.ffnInRows, .width], when: .mlp),
        BackboneRule("blocks.{i}.mlp.fc1.bias", "encoder.layer.{i}.mlp.fc1.bias", [.ffnInRows], when: .mlp),
        BackboneRule("blocks.{i}.mlp.fc2.weight", "encoder.layer.{i}.mlp.fc2.weight", [.width, .ffnHidden], when: .mlp),
        BackboneRule("blocks.{i}.mlp.fc2.bias", "encoder.layer.{i}.mlp.fc2.bias", [.width], when: .mlp),
        BackboneRule("blocks.{i}.mlp.w12.weight", "encoder.layer.{i}.mlp.weights_in.weight", [.ffnInRows, .width], when: .swiglu),
        BackboneRule("blocks.{i}.mlp.w12.bias", "encoder.layer.{i}.mlp.weights_in.bias", [.ffnInRows], when: .swiglu),
        BackboneRule("blocks.{i}.mlp.w3.weight", "encoder.layer.{i}.mlp.weights_out.weight", [.width, .ffnHidden], when: .swiglu),
        BackboneRule("blocks.{i}.mlp.w3.bias", "encoder.layer.{i}.mlp.weights_out.bias", [.width], when: .swiglu),
        BackboneRule("blocks.{i}.ls2.gamma", "encoder.layer.{i}.layer_scale2.lambda1", [.width]),
    ]

    /// Every key of `architecture`, in table order, embeddings first, then block by block.
    static func keys(for architecture: Architecture) -> [BackboneKey] {
        let applicable = rules.filter { $0.condition.holds(architecture) }
        var keys = applicable.filter { !$0.perBlock }.map { BackboneKey(rule: $0, block: nil) }
        for i in 0..<architecture.depth {
            keys += applicable.filter(\.perBlock).map { BackboneKey(rule: $0, block: i) }
        }
        return keys
    }

    /// Finds the rule (and block, and HF part) a name belongs to, whatever the architecture.
    static func match(_ name: String, layout: LayoutKind) -> (key: BackboneKey, part: Int)? {
        var name = name
        return name.withUTF8 { n in
            for entry in compiled {
                for (part, pattern) in (layout == .hf ? entry.hf : entry.dinov2).enumerated() {
                    if let block = pattern.match(n) { return (BackboneKey(rule: entry.rule, block: block), part) }
                }
            }
            return nil
        }
    }

    /// `rules` with every pattern split at its placeholder once: detection matches each name of a
    /// checkpoint against all of them.
    private static let compiled: [(rule: BackboneRule, hf: [Pattern.Compiled], dinov2: [Pattern.Compiled])] =
        rules.map { ($0, $0.hf.map(Pattern.Compiled.init), [Pattern.Compiled($0.dinov2)]) }
}

/// Key patterns with one `{i}` placeholder for a block index.
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
