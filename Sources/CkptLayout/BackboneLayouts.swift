import CkptCore

/// A backbone layout: how it spells the canonical keys of `BackboneTable`, and the facts detection,
/// conversion and messages need about it. Teaching ckpt a layout is adding a row to
/// `BackboneLayouts.all` (and a `LayoutKind` case): every reader of a backbone takes it from there.
package struct BackboneLayout: Sendable {
    /// A module that wraps the backbone under a prefix, e.g. HF's image classifier under `dinov2.`.
    struct Wrapper: Sendable {
        let prefix: String
        /// What a model under this prefix is, for messages.
        let what: String
        /// Keys beside the prefix that belong to the wrapper (reported and left out, not unexpected).
        let siblings: String
        /// What those keys are, for the note.
        let siblingsWhat: String
    }

    package let kind: LayoutKind
    /// The name in prose: "Hugging Face", "original DINOv2".
    package let displayName: String
    /// What one key group is called: "HF backbone" (in "29 HF backbone keys").
    let label: String
    /// The model as a noun phrase: "an HF backbone".
    let description: String
    /// Prefixes under which the backbone may sit inside a wrapping model.
    let wrappers: [Wrapper]
    /// Whether chunked blocks (`blocks.{c}.{i}.*`, `block_chunks > 0`) are read by global index.
    let chunkedBlocks: Bool
    /// Whether `convert` writes a folder with `config.json` (HF) rather than one file.
    package let writesFolder: Bool
    /// The position-embedding interpolation of the code that reads this layout (a
    /// `PositionInterpolation` raw value): `embed` uses it unless told otherwise.
    package let interpolation: PositionInterpolation
    /// How this layout spells each canonical rule, by the rule's pattern; a rule not listed keeps
    /// its canonical name.
    let spellings: [String: Spelling]
    /// The model family this layout stores (`--to hf` picks the row of the source's family).
    package var family: ModelFamily = .dinov2
    /// A second spelling read as the first (`from` → `to` at the start of a name): transformers 5 keeps
    /// DINOv3's blocks as `model.layer.*` in memory (a `state_dict()` saved by hand) and `layer.*` in
    /// the files `save_pretrained` writes. Outputs use the file spelling.
    var readAlias: (from: String, to: String)? = nil

    /// `local` (a name without the backbone prefix) in this layout's file spelling.
    func fileSpelling(_ local: String) -> String {
        guard let alias = readAlias, local.hasPrefix(alias.from) else { return local }
        return alias.to + local.dropFirst(alias.from.count)
    }

    /// The spelling of `rule` (patterns unfilled).
    func spelling(of rule: BackboneRule) -> Spelling { spellings[rule.name] ?? .renamed(rule.name) }

    /// This layout's name of the key that every backbone has and that tells the layout apart.
    var telltale: String { spelling(of: BackboneTable.rules.first { $0.name == BackboneTable.telltale }!).names[0] }
}

extension BackboneTable {
    /// The canonical key whose spelling identifies a layout: every backbone has a patch embedding.
    static var telltale: String { name(of: .patchWeight) }
}

/// The backbone layouts ckpt reads and writes.
package enum BackboneLayouts {
    /// Table order breaks ties: a damaged file whose keys two layouts spell alike is read as the first.
    package static let all: [BackboneLayout] = [hf, dinov2, timm, hfDINOv3, dinov3, timmDINOv3]

    /// The layout of `kind`, nil for a kind that is not a backbone layout (a head, a training checkpoint).
    package static func layout(_ kind: LayoutKind) -> BackboneLayout? { all.first { $0.kind == kind } }

    /// Hugging Face `transformers` (`Dinov2Model`, `Dinov2WithRegistersModel`, the classifier's
    /// backbone), as `convert_dinov2_to_hf.py` maps the original keys.
    static let hf = BackboneLayout(
        kind: .hf, displayName: "Hugging Face", label: "HF backbone", description: "an HF backbone",
        wrappers: [.init(prefix: "dinov2.", what: "the backbone of an HF Dinov2ForImageClassification", siblings: "classifier.",
                         siblingsWhat: "the image-classification head")],
        chunkedBlocks: false, writesFolder: true, interpolation: .hf,
        spellings: [
            "cls_token": .renamed("embeddings.cls_token"),
            "pos_embed": .renamed("embeddings.position_embeddings"),
            "register_tokens": .renamed("embeddings.register_tokens"),
            // Dinov2Model(use_mask_token=False) has none; Dinov2WithRegistersModel always has one.
            "mask_token": .optional("embeddings.mask_token", requiredWhen: .registers, note: "use_mask_token=false"),
            "patch_embed.proj.weight": .renamed("embeddings.patch_embeddings.projection.weight"),
            "patch_embed.proj.bias": .renamed("embeddings.patch_embeddings.projection.bias"),
            "norm.weight": .renamed("layernorm.weight"),
            "norm.bias": .renamed("layernorm.bias"),
            "blocks.{i}.norm1.weight": .renamed("encoder.layer.{i}.norm1.weight"),
            "blocks.{i}.norm1.bias": .renamed("encoder.layer.{i}.norm1.bias"),
            "blocks.{i}.attn.qkv.weight": .rows([
                "encoder.layer.{i}.attention.attention.query.weight",
                "encoder.layer.{i}.attention.attention.key.weight",
                "encoder.layer.{i}.attention.attention.value.weight",
            ]),
            "blocks.{i}.attn.qkv.bias": .rows([
                "encoder.layer.{i}.attention.attention.query.bias",
                "encoder.layer.{i}.attention.attention.key.bias",
                "encoder.layer.{i}.attention.attention.value.bias",
            ]),
            "blocks.{i}.attn.proj.weight": .renamed("encoder.layer.{i}.attention.output.dense.weight"),
            "blocks.{i}.attn.proj.bias": .renamed("encoder.layer.{i}.attention.output.dense.bias"),
            "blocks.{i}.ls1.gamma": .renamed("encoder.layer.{i}.layer_scale1.lambda1"),
            "blocks.{i}.norm2.weight": .renamed("encoder.layer.{i}.norm2.weight"),
            "blocks.{i}.norm2.bias": .renamed("encoder.layer.{i}.norm2.bias"),
            "blocks.{i}.mlp.fc1.weight": .renamed("encoder.layer.{i}.mlp.fc1.weight"),
            "blocks.{i}.mlp.fc1.bias": .renamed("encoder.layer.{i}.mlp.fc1.bias"),
            "blocks.{i}.mlp.fc2.weight": .renamed("encoder.layer.{i}.mlp.fc2.weight"),
            "blocks.{i}.mlp.fc2.bias": .renamed("encoder.layer.{i}.mlp.fc2.bias"),
            "blocks.{i}.mlp.w12.weight": .renamed("encoder.layer.{i}.mlp.weights_in.weight"),
            "blocks.{i}.mlp.w12.bias": .renamed("encoder.layer.{i}.mlp.weights_in.bias"),
            "blocks.{i}.mlp.w3.weight": .renamed("encoder.layer.{i}.mlp.weights_out.weight"),
            "blocks.{i}.mlp.w3.bias": .renamed("encoder.layer.{i}.mlp.weights_out.bias"),
            "blocks.{i}.ls2.gamma": .renamed("encoder.layer.{i}.layer_scale2.lambda1"),
            "rope_embed.periods": .absent(note: "DINOv3 only"),
            "blocks.{i}.attn.qkv.bias_mask": .absent(note: "DINOv3 only"),
            "local_cls_norm.weight": .absent(note: "DINOv3 only"),
            "local_cls_norm.bias": .absent(note: "DINOv3 only"),
        ])

    /// The original facebookresearch DINOv2 `DinoVisionTransformer`: the canonical names themselves.
    static let dinov2 = BackboneLayout(
        kind: .dinov2, displayName: "original DINOv2", label: "original DINOv2 backbone",
        description: "an original DINOv2 backbone", wrappers: [], chunkedBlocks: true, writesFolder: false,
        interpolation: .dinov2, spellings: [
            "rope_embed.periods": .absent(note: "DINOv3 only"),
            "blocks.{i}.attn.qkv.bias_mask": .absent(note: "DINOv3 only"),
            "local_cls_norm.weight": .absent(note: "DINOv3 only"),
            "local_cls_norm.bias": .absent(note: "DINOv3 only"),
        ])

    /// timm's DINOv2 ViTs, as `checkpoint_filter_fn` / `_convert_dinov2` (timm 1.0.31) map the original
    /// keys: no mask token, `register_tokens` → `reg_token`, SwiGLU `w12`/`w3` → `fc1`/`fc2` (the
    /// same chunk order; the shapes tell them from an MLP's), and register models stored with
    /// `no_embed_class` (the class-position fold). Models without registers keep `pos_embed` with its
    /// class position, as the original does. Positions are resampled as the original code does
    /// (timm's own `dynamic_img_size` resampling equals it for register models only).
    static let timm = BackboneLayout(
        kind: .timm, displayName: "timm", label: "timm backbone", description: "a timm backbone",
        wrappers: [], chunkedBlocks: false, writesFolder: false, interpolation: .dinov2,
        spellings: [
            "rope_embed.periods": .absent(note: "DINOv3 only"),
            "blocks.{i}.attn.qkv.bias_mask": .absent(note: "DINOv3 only"),
            "local_cls_norm.weight": .absent(note: "DINOv3 only"),
            "local_cls_norm.bias": .absent(note: "DINOv3 only"),
            "cls_token": .classPositionFold("cls_token", when: .registers),
            "pos_embed": .classPositionFold("pos_embed", when: .registers),
            "register_tokens": .renamed("reg_token"),
            "mask_token": .absent(note: "timm's models have none"),
            "blocks.{i}.mlp.w12.weight": .renamed("blocks.{i}.mlp.fc1.weight"),
            "blocks.{i}.mlp.w12.bias": .renamed("blocks.{i}.mlp.fc1.bias"),
            "blocks.{i}.mlp.w3.weight": .renamed("blocks.{i}.mlp.fc2.weight"),
            "blocks.{i}.mlp.w3.bias": .renamed("blocks.{i}.mlp.fc2.bias"),
        ])

    /// The conversions that also have a command of their own (the layout conversion's aliases).
    static let namedConversions: [(command: String, from: [LayoutKind], to: LayoutKind)] = [
        ("hf-to-dinov2", [.hf], .dinov2),
        ("dinov2-to-hf", [.dinov2, .dinov2Train], .hf),
    ]

    /// The command that converts a `source` checkpoint to `target`: its named alias when there is one.
    package static func convertCommand(from source: LayoutKind, to target: LayoutKind) -> String {
        if let named = namedConversions.first(where: { $0.from.contains(source) && $0.to == target }) {
            return "ckpt convert \(named.command)"
        }
        return "ckpt convert layout --to \(target.rawValue)"
    }
}

extension LayoutKind {
    /// The backbone layouts (`hf`, `dinov2`, …), in table order: what `convert layout --to` and
    /// `verify --layout` accept.
    public static var backbones: [LayoutKind] { BackboneLayouts.all.map(\.kind) }

    /// Whether this is a backbone layout (not a DINOHead or a training checkpoint).
    public var isBackbone: Bool { BackboneLayouts.layout(self) != nil }

    /// Whether ckpt writes this backbone layout as a folder (HF: `model.safetensors` and
    /// `config.json`) rather than as one file.
    public var writesFolder: Bool { BackboneLayouts.layout(self)?.writesFolder ?? false }

    /// The position-embedding interpolation of the code that
    /// reads this backbone layout; nil for a kind that is not one.
    package var interpolationConvention: PositionInterpolation? { BackboneLayouts.layout(self)?.interpolation }
}

// MARK: - DINOv3

extension BackboneLayouts {
    /// Why the DINOv3 layouts have no position table.
    private static let ropeNote = "DINOv3 has no position table (RoPE)"
    private static let periodsNote = "rope_embed.periods dropped: derived (the reading code computes it from rope_theta and the head width)"
    private static let maskNote = "attn.qkv.bias_mask dropped: derived (ones, zeros over the key third, ones)"
    private static let localNormNote = "local_cls_norm dropped: training only (the norm of local crops' CLS tokens; the eval forward pass never uses it)"
    private static let keyNote = "the key third of attn.qkv.bias dropped: masked by bias_mask (or zero), so zero in the forward pass"

    /// Meta's DINOv3 ViT (facebookresearch/dinov3 `DinoVisionTransformer`, as torch.hub loads it
    /// strictly): the canonical names but `storage_tokens` for the registers and SwiGLU stored
    /// unfused as `w1` (gate) and `w2` (up), the rows of the canonical `w12`.
    static let dinov3 = BackboneLayout(
        kind: .dinov3, displayName: "Meta DINOv3", label: "DINOv3 backbone", description: "a Meta DINOv3 backbone",
        wrappers: [], chunkedBlocks: false, writesFolder: false, interpolation: .hf,
        spellings: [
            "pos_embed": .absent(note: ropeNote),
            "register_tokens": .renamed("storage_tokens"),
            "blocks.{i}.mlp.w12.weight": .rows(["blocks.{i}.mlp.w1.weight", "blocks.{i}.mlp.w2.weight"]),
            "blocks.{i}.mlp.w12.bias": .rows(["blocks.{i}.mlp.w1.bias", "blocks.{i}.mlp.w2.bias"]),
        ], family: .dinov3)

    /// transformers 5's `DINOv3ViTModel` as `save_pretrained` writes it (in memory the blocks are
    /// `model.layer.*`; files keep `layer.*`), the mapping of `convert_dinov3_vit_to_hf.py`: q/k/v split,
    /// no key bias, no RoPE buffer, mask token [1, 1, D], SwiGLU as `gate_proj`/`up_proj`/`down_proj`.
    static let hfDINOv3 = BackboneLayout(
        kind: .hfDINOv3, displayName: "Hugging Face DINOv3", label: "HF DINOv3 backbone", description: "an HF DINOv3ViTModel",
        wrappers: [], chunkedBlocks: false, writesFolder: true, interpolation: .hf,
        spellings: [
            "cls_token": .renamed("embeddings.cls_token"),
            "pos_embed": .absent(note: ropeNote),
            "register_tokens": .renamed("embeddings.register_tokens"),
            "mask_token": .reshaped("embeddings.mask_token"),
            "rope_embed.periods": .derived(note: periodsNote),
            "local_cls_norm.weight": .dropped(note: localNormNote),
            "local_cls_norm.bias": .dropped(note: localNormNote),
            "patch_embed.proj.weight": .renamed("embeddings.patch_embeddings.weight"),
            "patch_embed.proj.bias": .renamed("embeddings.patch_embeddings.bias"),
            "blocks.{i}.norm1.weight": .renamed("layer.{i}.norm1.weight"),
            "blocks.{i}.norm1.bias": .renamed("layer.{i}.norm1.bias"),
            "blocks.{i}.attn.qkv.weight": .rows([
                "layer.{i}.attention.q_proj.weight", "layer.{i}.attention.k_proj.weight", "layer.{i}.attention.v_proj.weight",
            ]),
            "blocks.{i}.attn.qkv.bias": .keyless(["layer.{i}.attention.q_proj.bias", "layer.{i}.attention.v_proj.bias"], note: keyNote),
            "blocks.{i}.attn.qkv.bias_mask": .derived(note: maskNote),
            "blocks.{i}.attn.proj.weight": .renamed("layer.{i}.attention.o_proj.weight"),
            "blocks.{i}.attn.proj.bias": .renamed("layer.{i}.attention.o_proj.bias"),
            "blocks.{i}.ls1.gamma": .renamed("layer.{i}.layer_scale1.lambda1"),
            "blocks.{i}.norm2.weight": .renamed("layer.{i}.norm2.weight"),
            "blocks.{i}.norm2.bias": .renamed("layer.{i}.norm2.bias"),
            "blocks.{i}.mlp.fc1.weight": .renamed("layer.{i}.mlp.up_proj.weight"),
            "blocks.{i}.mlp.fc1.bias": .renamed("layer.{i}.mlp.up_proj.bias"),
            "blocks.{i}.mlp.fc2.weight": .renamed("layer.{i}.mlp.down_proj.weight"),
            "blocks.{i}.mlp.fc2.bias": .renamed("layer.{i}.mlp.down_proj.bias"),
            "blocks.{i}.mlp.w12.weight": .rows(["layer.{i}.mlp.gate_proj.weight", "layer.{i}.mlp.up_proj.weight"]),
            "blocks.{i}.mlp.w12.bias": .rows(["layer.{i}.mlp.gate_proj.bias", "layer.{i}.mlp.up_proj.bias"]),
            "blocks.{i}.mlp.w3.weight": .renamed("layer.{i}.mlp.down_proj.weight"),
            "blocks.{i}.mlp.w3.bias": .renamed("layer.{i}.mlp.down_proj.bias"),
            "blocks.{i}.ls2.gamma": .renamed("layer.{i}.layer_scale2.lambda1"),
        ], family: .dinov3, readAlias: ("model.layer.", "layer."))

    /// timm 1.0.31's DINOv3 Eva (`vit_*_patch16_dinov3[_qkvb]`), as its `checkpoint_filter_fn` maps
    /// Meta's keys: no mask token, RoPE buffer or bias mask, `reg_token`, `gamma_1/2`, the qkv bias as
    /// `q_bias`/`v_bias` (`_qkvb` variants only), SwiGLU as `fc1_g` (gate), `fc1_x` (up), `fc2`.
    static let timmDINOv3 = BackboneLayout(
        kind: .timmDINOv3, displayName: "timm DINOv3", label: "timm DINOv3 backbone", description: "a timm DINOv3 Eva",
        wrappers: [], chunkedBlocks: false, writesFolder: false, interpolation: .hf,
        spellings: [
            "pos_embed": .absent(note: ropeNote),
            "register_tokens": .renamed("reg_token"),
            "mask_token": .dropped(note: "mask_token dropped: training only (timm's Eva has none)"),
            "local_cls_norm.weight": .dropped(note: localNormNote),
            "local_cls_norm.bias": .dropped(note: localNormNote),
            "rope_embed.periods": .derived(note: periodsNote),
            "blocks.{i}.attn.qkv.bias": .keyless(["blocks.{i}.attn.q_bias", "blocks.{i}.attn.v_bias"], note: keyNote),
            "blocks.{i}.attn.qkv.bias_mask": .derived(note: maskNote),
            "blocks.{i}.ls1.gamma": .renamed("blocks.{i}.gamma_1"),
            "blocks.{i}.ls2.gamma": .renamed("blocks.{i}.gamma_2"),
            "blocks.{i}.mlp.w12.weight": .rows(["blocks.{i}.mlp.fc1_g.weight", "blocks.{i}.mlp.fc1_x.weight"]),
            "blocks.{i}.mlp.w12.bias": .rows(["blocks.{i}.mlp.fc1_g.bias", "blocks.{i}.mlp.fc1_x.bias"]),
            "blocks.{i}.mlp.w3.weight": .renamed("blocks.{i}.mlp.fc2.weight"),
            "blocks.{i}.mlp.w3.bias": .renamed("blocks.{i}.mlp.fc2.bias"),
        ], family: .dinov3)

    /// The row of `target`'s kind for a model of `family`: `hf` and `timm` name one layout per family
    /// (`--to hf` writes a DINOv3ViTModel for a DINOv3 source). A layout of the other family is refused.
    package static func layout(_ target: LayoutKind, for family: ModelFamily, path: String) throws -> BackboneLayout {
        let twins: [LayoutKind: LayoutKind] = [.hf: .hfDINOv3, .timm: .timmDINOv3]
        for kind in [target, twins[target]].compactMap({ $0 }) {
            if let layout = layout(kind), layout.family == family { return layout }
        }
        let accepted = all.filter { $0.family == family }.map(\.kind.rawValue)
        throw LayoutError(path: path, problem: .cannotConvert([
            "this is a \(family.displayName) model and \(target.rawValue) is a \(family == .dinov2 ? "DINOv3" : "DINOv2") layout; a \(family.displayName) model converts to \(accepted.joined(separator: ", ")) (hf and timm pick the \(family.displayName) variant)"]))
    }
}
