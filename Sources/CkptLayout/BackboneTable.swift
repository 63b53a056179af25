import CkptCheckpoint
import CkptFormat

/// The DINOv2 backbone key table: every key of the canonical form (the original DINOv2 names) with
/// its shape rule and the condition under which a model has it. How each layout spells these keys is
/// in `BackboneLayouts`; conversions in every direction, detection and the strict expectation of
/// `verify` are all read from these two tables; nothing else spells a backbone key.

/// A dimension of a tensor shape, resolved against an `Architecture`.
enum Dim: Sendable, Equatable {
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

/// When a rule (or a layout's spelling of it) applies.
enum RuleCondition: Sendable, Equatable {
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

    /// Whether the rule can apply to a model with this FFN (conditions on registers always can).
    func allows(_ ffn: Architecture.FFN) -> Bool {
        switch self {
        case .mlp: return ffn == .mlp
        case .swiglu: return ffn == .swiglu
        case .always, .registers: return true
        }
    }
}

/// One row of the table: a canonical key (`{i}` is the block index), its shape and its condition.
struct BackboneRule: Sendable {
    let name: String
    let shape: [Dim]
    let condition: RuleCondition

    init(_ name: String, _ shape: [Dim], when condition: RuleCondition = .always) {
        self.name = name
        self.shape = shape
        self.condition = condition
    }

    var perBlock: Bool { name.contains("{i}") }
}

/// A rule instantiated for one block (or for the embeddings, `block == nil`).
struct BackboneKey: Sendable {
    let rule: BackboneRule
    let block: Int?
    /// The canonical (original DINOv2) name.
    var name: String { Pattern.fill(rule.name, block) }
    func shape(_ a: Architecture) -> [Int] { rule.shape.map { $0.value(a) } }
    /// How `layout` stores this key, with the block index filled in.
    func spelling(in layout: BackboneLayout) -> Spelling { layout.spelling(of: rule).filled(block) }
}

enum BackboneTable {
    /// Order: the original module's `state_dict` order (and `golden/SYNTH.md`'s).
    static let rules: [BackboneRule] = [
        BackboneRule("cls_token", [.one, .one, .width]),
        BackboneRule("pos_embed", [.one, .tokens, .width]),
        BackboneRule("register_tokens", [.one, .registers, .width], when: .registers),
        BackboneRule("mask_token", [.one, .width]),
        BackboneRule("patch_embed.proj.weight", [.width, .channels, .patch, .patch]),
        BackboneRule("patch_embed.proj.bias", [.width]),
        BackboneRule("norm.weight", [.width]),
        BackboneRule("norm.bias", [.width]),
        BackboneRule("blocks.{i}.norm1.weight", [.width]),
        BackboneRule("blocks.{i}.norm1.bias", [.width]),
        BackboneRule("blocks.{i}.attn.qkv.weight", [.qkvRows, .width]),
        BackboneRule("blocks.{i}.attn.qkv.bias", [.qkvRows]),
        BackboneRule("blocks.{i}.attn.proj.weight", [.width, .width]),
        BackboneRule("blocks.{i}.attn.proj.bias", [.width]),
        BackboneRule("blocks.{i}.ls1.gamma", [.width]),
        BackboneRule("blocks.{i}.norm2.weight", [.width]),
        BackboneRule("blocks.{i}.norm2.bias", [.width]),
        BackboneRule("blocks.{i}.mlp.fc1.weight", [.ffnInRows, .width], when: .mlp),
        BackboneRule("blocks.{i}.mlp.fc1.bias", [.ffnInRows], when: .mlp),
        BackboneRule("blocks.{i}.mlp.fc2.weight", [.width, .ffnHidden], when: .mlp),
        BackboneRule("blocks.{i}.mlp.fc2.bias", [.width], when: .mlp),
        BackboneRule("blocks.{i}.mlp.w12.weight", [.ffnInRows, .width], when: .swiglu),
        BackboneRule("blocks.{i}.mlp.w12.bias", [.ffnInRows], when: .swiglu),
        BackboneRule("blocks.{i}.mlp.w3.weight", [.width, .ffnHidden], when: .swiglu),
        BackboneRule("blocks.{i}.mlp.w3.bias", [.width], when: .swiglu),
        BackboneRule("blocks.{i}.ls2.gamma", [.width]),
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

    /// The canonical name of the embedding tensor whose shape carries `dim`: the patch embedding for
    /// `.patch`, the position table for `.tokens`, the register tokens for `.registers`.
    static func carrier(of dim: Dim) -> String { rules.first { !$0.perBlock && $0.shape.contains(dim) }!.name }

    /// The first rule (and block, and part) a name spelled in `layout` belongs to, whatever the
    /// architecture. A layout may spell two rules alike (timm's `fc1` is the MLP's `fc1` and SwiGLU's
    /// `w12`): `matches` lists them all.
    static func match(_ name: String, layout: LayoutKind) -> (key: BackboneKey, part: Int)? {
        matches(name, layout: layout).first
    }

    /// Every rule (with block and part) a name spelled in `layout` can be, in table order.
    static func matches(_ name: String, layout: LayoutKind) -> [(key: BackboneKey, part: Int)] {
        guard let compiled = compiled[layout] else { return [] }
        var name = name
        return name.withUTF8 { n in
            var found: [(key: BackboneKey, part: Int)] = []
            for entry in compiled {
                for (part, pattern) in entry.patterns.enumerated() {
                    if let block = pattern.match(n) { found.append((BackboneKey(rule: entry.rule, block: block), part)) }
                }
            }
            return found
        }
    }

    /// Each layout's spelling of every rule with its patterns split at the placeholder once:
    /// detection matches each name of a checkpoint against all of them.
    private static let compiled: [LayoutKind: [(rule: BackboneRule, patterns: [Pattern.Compiled])]] =
        Dictionary(uniqueKeysWithValues: BackboneLayouts.all.map { layout in
            (layout.kind, rules.map { ($0, layout.spelling(of: $0).names.map(Pattern.Compiled.init)) })
        })
}
