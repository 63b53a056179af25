
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
    case ropePeriods  // DINOv3's rope_embed.periods: head_dim / 4

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
        case .ropePeriods: return a.headDim / 4
        }
    }
}

/// When a rule (or a layout's spelling of it) applies.
enum RuleCondition: Sendable, Equatable {
    case always
    case registers  // R > 0
    case mlp
    case swiglu
    case learnedPositions  // DINOv2's position table
    case rope  // DINOv3
    case qkvBias  // every DINOv2; DINOv3 but the 7B
    case maskedKeyBias  // DINOv3's mask_k_bias with a qkv bias
    case localClsNorm  // DINOv3's training-only norm of the local crops' CLS (Meta's files only)

    func holds(_ a: Architecture) -> Bool {
        switch self {
        case .always: return true
        case .registers: return a.registers > 0
        case .mlp: return a.ffn == .mlp
        case .swiglu: return a.ffn == .swiglu
        case .learnedPositions: return !a.usesRoPE
        case .rope: return a.usesRoPE
        case .qkvBias: return a.qkvBias
        case .maskedKeyBias: return a.usesRoPE && a.qkvBias && a.maskedKeyBias
        case .localClsNorm: return a.usesRoPE && a.localClsNorm
        }
    }

    /// Whether the rule can apply to a model with this FFN (conditions on registers always can).
    func allows(_ ffn: Architecture.FFN) -> Bool {
        switch self {
        case .mlp: return ffn == .mlp
        case .swiglu: return ffn == .swiglu
        case .always, .registers, .learnedPositions, .rope, .qkvBias, .maskedKeyBias, .localClsNorm: return true
        }
    }
}

/// One row of the table: a canonical key (`{i}` is the block index), its shape, its condition, and
/// what it is to the forward pass.
struct BackboneRule: Sendable {
    let name: String
    let shape: [Dim]
    let condition: RuleCondition
    /// nil for a tensor the forward pass does not read (the mask token, used only in training).
    let role: TensorRole?

    /// `name` split at its placeholder once: every key read or written fills it.
    let pattern: Pattern.Compiled

    init(_ name: String, _ shape: [Dim], _ role: TensorRole?, when condition: RuleCondition = .always) {
        self.name = name
        self.pattern = Pattern.Compiled(name)
        self.shape = shape
        self.role = role
        self.condition = condition
    }

    var perBlock: Bool { pattern.tail != nil }
}

/// A rule instantiated for one block (or for the embeddings, `block == nil`).
struct BackboneKey: Sendable {
    let rule: BackboneRule
    let block: Int?
    /// The canonical (original DINOv2) name, filled once: reading a layout looks keys up by it
    /// several times per tensor.
    let name: String

    init(rule: BackboneRule, block: Int?) {
        self.rule = rule
        self.block = block
        self.name = rule.pattern.filled(block)
    }

    func shape(_ a: Architecture) -> [Int] { rule.shape.map { $0.value(a) } }
    /// How `layout` stores this key, with the block index filled in.
    func spelling(in layout: BackboneLayout) -> Spelling { layout.spelling(of: rule).filled(block) }
}

enum BackboneTable {
    /// Order: the original module's `state_dict` order (and `golden/SYNTH.md`'s).
    static let rules: [BackboneRule] = [
        BackboneRule("cls_token", [.one, .one, .width], .classToken),
        BackboneRule("pos_embed", [.one, .tokens, .width], .positions, when: .learnedPositions),
        BackboneRule("register_tokens", [.one, .registers, .width], .registerTokens, when: .registers),
        BackboneRule("mask_token", [.one, .width], nil),
        // DINOv3: Meta's saved RoPE buffer; derived from rope_theta and the head width.
        BackboneRule("rope_embed.periods", [.ropePeriods], nil, when: .rope),
        BackboneRule("patch_embed.proj.weight", [.width, .channels, .patch, .patch], .patchWeight),
        BackboneRule("patch_embed.proj.bias", [.width], .patchBias),
        BackboneRule("norm.weight", [.width], .finalNormWeight),
        BackboneRule("norm.bias", [.width], .finalNormBias),
        // DINOv3: Meta's training-only norm of local-crop CLS tokens (never used by the eval pass).
        BackboneRule("local_cls_norm.weight", [.width], nil, when: .localClsNorm),
        BackboneRule("local_cls_norm.bias", [.width], nil, when: .localClsNorm),
        BackboneRule("blocks.{i}.norm1.weight", [.width], .norm1Weight),
        BackboneRule("blocks.{i}.norm1.bias", [.width], .norm1Bias),
        BackboneRule("blocks.{i}.attn.qkv.weight", [.qkvRows, .width], .qkvWeight),
        BackboneRule("blocks.{i}.attn.qkv.bias", [.qkvRows], .qkvBias, when: .qkvBias),
        // DINOv3: Meta's saved mask of the qkv bias (ones, zeros over the key third, ones).
        BackboneRule("blocks.{i}.attn.qkv.bias_mask", [.qkvRows], nil, when: .maskedKeyBias),
        BackboneRule("blocks.{i}.attn.proj.weight", [.width, .width], .projectionWeight),
        BackboneRule("blocks.{i}.attn.proj.bias", [.width], .projectionBias),
        BackboneRule("blocks.{i}.ls1.gamma", [.width], .scale1),
        BackboneRule("blocks.{i}.norm2.weight", [.width], .norm2Weight),
        BackboneRule("blocks.{i}.norm2.bias", [.width], .norm2Bias),
        BackboneRule("blocks.{i}.mlp.fc1.weight", [.ffnInRows, .width], .ffnInWeight, when: .mlp),
        BackboneRule("blocks.{i}.mlp.fc1.bias", [.ffnInRows], .ffnInBias, when: .mlp),
        BackboneRule("blocks.{i}.mlp.fc2.weight", [.width, .ffnHidden], .ffnOutWeight, when: .mlp),
        BackboneRule("blocks.{i}.mlp.fc2.bias", [.width], .ffnOutBias, when: .mlp),
        BackboneRule("blocks.{i}.mlp.w12.weight", [.ffnInRows, .width], .ffnInWeight, when: .swiglu),
        BackboneRule("blocks.{i}.mlp.w12.bias", [.ffnInRows], .ffnInBias, when: .swiglu),
        BackboneRule("blocks.{i}.mlp.w3.weight", [.width, .ffnHidden], .ffnOutWeight, when: .swiglu),
        BackboneRule("blocks.{i}.mlp.w3.bias", [.width], .ffnOutBias, when: .swiglu),
        BackboneRule("blocks.{i}.ls2.gamma", [.width], .scale2),
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

    /// The first rule (and block, and part) a name spelled in `layout` belongs to, whatever the
    /// architecture. A layout may spell two rules alike (timm's `fc1` is the MLP's `fc1` and SwiGLU's
    /// `w12`): `matches` lists them all.
    static func match(_ name: String, layout: LayoutKind) -> (key: BackboneKey, part: Int)? {
        matches(name, layout: layout).first
    }

    /// Every rule (with block and part) a name spelled in `layout` can be, in table order.
    static func matches(_ name: String, layout: LayoutKind) -> [(key: BackboneKey, part: Int)] {
        guard let table = compiled[layout] else { return [] }
        var name = name
        return name.withUTF8 { table.matches($0) }.map { tag, block in
            (BackboneKey(rule: rules[tag / maxParts], block: block), tag % maxParts)
        }
    }

    /// Tags of the compiled patterns: rule index × `maxParts` + part (HF's q/k/v are three parts).
    private static let maxParts = 8

    /// Each layout's spelling of every rule, compiled once: detection matches each name of a
    /// checkpoint against all of them.
    private static let compiled: [LayoutKind: Pattern.Table] =
        Dictionary(uniqueKeysWithValues: BackboneLayouts.all.map { layout in
            var table = Pattern.Table()
            for (r, rule) in rules.enumerated() {
                let names = layout.spelling(of: rule).names
                precondition(names.count <= maxParts, "\(rule.name) is spelled in more than \(maxParts) parts")
                for (part, name) in names.enumerated() { table.append(Pattern.Compiled(name), tag: r * maxParts + part) }
            }
            return (layout.kind, table)
        })
}
