import CkptCore
/// What `verify` needs from the table to explain a *damaged* backbone, which `analyze` rightly refuses.
extension Layouts {
    /// The first component of every key each backbone layout spells (`blocks.`, `cls_token`,
    /// `embeddings.`, …), read from `BackboneTable`: what marks a key as spelled in that layout,
    /// whatever prefix it carries.
    package static let keyRoots: [(LayoutKind, [String])] = BackboneLayouts.all.map { layout in
        var roots: [String] = []
        for rule in BackboneTable.rules {
            for pattern in layout.spelling(of: rule).names {
                let root = pattern.firstIndex(of: ".").map { String(pattern[...$0]) } ?? pattern
                if !roots.contains(root) { roots.append(root) }
            }
        }
        return (layout.kind, roots)
    }

    /// How many of `names` (prefix stripped) `layout` spells: what tells apart layouts whose keys
    /// share their first components (timm's DINOv2 and DINOv3 files both start with `blocks.`).
    package static func spelledCount(_ names: [String], layout: LayoutKind) -> Int {
        names.filter { BackboneTable.match($0, layout: layout) != nil }.count
    }

    /// The keys a model in backbone `layout` may lack, as the layout spells them, each with why
    /// (HF: `embeddings.mask_token`, "use_mask_token=false").
    package static func optionalKeys(in layout: LayoutKind) -> [(name: String, why: String)] {
        guard let spelled = BackboneLayouts.layout(layout) else { return [] }
        return BackboneTable.rules.flatMap { rule -> [(name: String, why: String)] in
            let spelling = spelled.spelling(of: rule)
            guard case .optional = spelling, let why = spelling.missingNote else { return [] }
            return spelling.names.map { ($0, why) }
        }
    }

    /// The backbone layout whose wrapping model puts the backbone under `prefix` (HF's classifier
    /// under `dinov2.`), with what that model is.
    package static func wrapping(prefix: String) -> (layout: LayoutKind, what: String)? {
        for layout in BackboneLayouts.all {
            if let w = layout.wrappers.first(where: { $0.prefix == prefix }) { return (layout.kind, w.what) }
        }
        return nil
    }

    /// `blocks.{c}.{i}.rest` → `blocks.{i}.rest` (canonical decimals only, as detection reads them);
    /// nil for any other key.
    package static func unchunked(_ key: String) -> String? {
        let (name, chunk) = LayoutLocator.dechunked(key)
        return chunk == nil ? nil : name
    }

    /// A best-effort architecture of a backbone whose keys (prefix stripped) are spelled in `layout`,
    /// complete or not. Each dimension is the majority over the tensors whose table shape carries it,
    /// so one broken tensor cannot move it. Heads are resolved by `Architecture.heads` from `config`
    /// (`headsRule` says which rule chose them when it does not give them); an unreadable patch size
    /// or grid falls back to 14 and 37. nil when no block key is recognised.
    package static func guessArchitecture(_ tensors: [String: TensorEntry], layout: LayoutKind,
                                          config: JSONValue?) -> (architecture: Architecture, headsRule: String?)? {
        guard let spelled = BackboneLayouts.layout(layout) else { return nil }
        var depth = 0
        var widths: [Int] = [], hidden: [Int] = []
        var swiglu = false
        var ambiguous: [(shape: [Int], matches: [BackboneKey])] = []
        var embeddings: [(key: BackboneKey, shape: [Int])] = []
        var patch = 14, grid = 37, registers = 0
        for (name, t) in tensors {
            let local = spelled.chunkedBlocks ? LayoutLocator.dechunked(name).name : spelled.fileSpelling(name)
            let matches = BackboneTable.matches(local, layout: layout)
            guard let (key, _) = matches.first else { continue }
            let dims = key.rule.shape
            if let block = key.block {
                depth = max(depth, block + 1)
                if matches.count > 1 { ambiguous.append((t.shape, matches.map(\.key))) } else if key.rule.condition == .swiglu { swiglu = true }
                if dims == [.width], t.shape.count == 1 { widths.append(t.shape[0]) }
                if dims == [.width, .ffnHidden], t.shape.count == 2 { hidden.append(t.shape[1]) }
                continue
            }
            embeddings.append((key, t.shape))
        }
        // Embedding dimensions, registers first: a layout's spelling of the others may depend on them.
        for (key, shape) in embeddings where key.rule.shape.contains(.registers) && key.rule.shape.count == shape.count {
            registers = shape[key.rule.shape.firstIndex(of: .registers)!]
        }
        let facts = Architecture(width: 1, depth: 0, heads: 1, registers: registers)
        for (key, stored) in embeddings {
            let dims = key.rule.shape, shape = key.spelling(in: spelled).canonicalShape(of: key, stored: stored, facts)
            guard dims.count == shape.count else { continue }
            for (dim, value) in zip(dims, shape) {
                switch dim {
                case .patch: patch = value
                case .tokens where value >= 2: grid = Int(Double(value - 1).squareRoot().rounded(.down))
                default: break
                }
            }
        }
        guard depth > 0, let width = mode(widths) else { return nil }
        let (heads, rule) = Architecture.heads(width: width, recorded: config?["num_attention_heads"]?.intValue)
        if !swiglu, !ambiguous.isEmpty {
            // Names two FFNs spell alike (timm's fc1/fc2) vote for the FFN under which their shapes fit.
            var votes: [Architecture.FFN: Int] = [:]
            for ffn in Architecture.FFN.allCases {
                let probe = Architecture(width: width, depth: depth, heads: heads, ffn: ffn, ffnHidden: mode(hidden))
                for (shape, keys) in ambiguous where keys.contains(where: { $0.rule.condition.allows(ffn) && $0.shape(probe) == shape }) {
                    votes[ffn, default: 0] += 1
                }
            }
            swiglu = votes[.swiglu, default: 0] > votes[.mlp, default: 0]
        }
        var arch = Architecture(width: width, depth: depth, heads: heads, patchSize: patch, imageSize: grid * patch,
                                registers: registers, ffn: swiglu ? .swiglu : .mlp, ffnHidden: mode(hidden))
        if spelled.family == .dinov3 { return guessDINOv3(&arch, tensors, layout: spelled, rule: rule, config: config) }
        return (arch, rule)
    }

    /// The most frequent value (ties: the larger), nil for none.
    static func mode(_ values: [Int]) -> Int? {
        var counts: [Int: Int] = [:]
        for v in values { counts[v, default: 0] += 1 }
        return counts.max { $0.value != $1.value ? $0.value < $1.value : $0.key < $1.key }?.key
    }

    /// The DINOv3 facts of a damaged backbone in a DINOv3 layout: qkv bias and its mask from the names
    /// present, heads from Meta's periods (or the released sizes) when no config gives them.
    static func guessDINOv3(_ arch: inout Architecture, _ tensors: [String: TensorEntry], layout: BackboneLayout,
                            rule: String?, config: JSONValue?) -> (architecture: Architecture, headsRule: String?) {
        let rules = Set(tensors.keys.compactMap { BackboneTable.match($0, layout: layout.kind)?.key.rule.name })
        let periods = tensors.first { BackboneTable.match($0.key, layout: layout.kind)?.key.rule.name == "rope_embed.periods" }?.value.shape.first
        arch.family = .dinov3
        arch.layerNormEps = 1e-5
        arch.imageSize = 14 * arch.patchSize
        arch.qkvBias = rules.contains(BackboneTable.rule(.qkvBias).name)
        arch.maskedKeyBias = arch.qkvBias && (layout.kind != .dinov3 || rules.contains("blocks.{i}.attn.qkv.bias_mask"))
        arch.localClsNorm = layout.kind == .dinov3 && rules.contains("local_cls_norm.weight")
        var rule = rule
        if config?["num_attention_heads"] == nil, let (heads, why) = Architecture.dinov3Heads(width: arch.width, periods: periods) {
            arch.heads = heads
            rule = why
        }
        return (arch, rule)
    }
}
