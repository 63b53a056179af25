/// The shape of a DINOv2 vision transformer, recoverable from its tensors.
public struct Architecture: Equatable, Hashable, Sendable {
    /// The block's feed-forward network: `fc1`/`fc2` with GELU, or SwiGLU's `w12`/`w3`.
    public enum FFN: String, Sendable, CaseIterable {
        /// `mlp.fc1` → GELU → `mlp.fc2`, hidden width 4D.
        case mlp
        /// `mlp.w12` (gate and value) → SiLU gate → `mlp.w3` (ViT-g).
        case swiglu
    }

    /// Embedding width D.
    public var width: Int
    /// Number of transformer blocks.
    public var depth: Int
    /// Attention heads (no tensor stores them: `config.json`, the caller, or `assumedHeads`).
    public var heads: Int
    /// Patch side in pixels (14 for DINOv2).
    public var patchSize: Int
    /// Native image size: position grid × patch size.
    public var imageSize: Int
    /// Register tokens after CLS (0, or 4 for the `_reg4` models).
    public var registers: Int
    /// MLP or SwiGLU.
    public var ffn: FFN
    /// Hidden width of the FFN (4D for MLP; for SwiGLU the H of `w3 [D, H]`).
    public var ffnHidden: Int
    /// LayerNorm epsilon (1e-6 unless `config.json` says otherwise).
    public var layerNormEps: Double
    /// The model family: DINOv2 (learned position table) or DINOv3 (RoPE, `Architecture+DINOv3.swift`).
    public var family: ModelFamily = .dinov2
    /// RoPE base (`rope_theta`, Meta's `pos_embed_rope_base`): DINOv3 only; 100 in every released model.
    public var ropeTheta: Double = 100
    /// Whether the blocks' qkv projection has a bias (every DINOv2; not the DINOv3 7B).
    public var qkvBias: Bool = true
    /// Whether the key third of the qkv bias is masked to zero (DINOv3's `mask_k_bias`, stored by Meta
    /// as the `attn.qkv.bias_mask` buffer; transformers and timm have no key bias at all).
    public var maskedKeyBias: Bool = false
    /// Whether Meta's file holds `local_cls_norm` (DINOv3 ViT-L SAT-493M and 7B; training only).
    public var localClsNorm: Bool = false

    /// An architecture; `ffnHidden` defaults to 4D for MLP and to `swigluHidden` for SwiGLU.
    public init(width: Int, depth: Int, heads: Int, patchSize: Int = 14, imageSize: Int = 518,
                registers: Int = 0, ffn: FFN = .mlp, ffnHidden: Int? = nil, layerNormEps: Double = 1e-6) {
        self.width = width
        self.depth = depth
        self.heads = heads
        self.patchSize = patchSize
        self.imageSize = imageSize
        self.registers = registers
        self.ffn = ffn
        self.ffnHidden = ffnHidden ?? (ffn == .mlp ? 4 * width : Architecture.swigluHidden(width: width))
        self.layerNormEps = layerNormEps
    }

    /// SwiGLU hidden width as the original code computes it: (int(int(4D)·2/3) + 7) // 8 · 8.
    public static func swigluHidden(width: Int, mlpRatio: Int = 4) -> Int {
        ((width * mlpRatio * 2 / 3) + 7) / 8 * 8
    }

    /// Side of the native position grid.
    public var gridSize: Int { imageSize / patchSize }
    /// Tokens at the native size: CLS, registers, patches.
    public var tokenCount: Int { 1 + registers + gridSize * gridSize }
    /// Width of one head.
    public var headDim: Int { width / heads }

    /// The head count when neither `config.json` nor the caller gives it (no tensor stores it), with
    /// the rule that chose it: head width 64 as in every released DINOv2, else 16 (the small test
    /// models), else a single head. Every reader of a backbone asks here, so they cannot disagree.
    public static func assumedHeads(width: Int) -> (heads: Int, rule: String) {
        if width > 0, width % 64 == 0 { return (width / 64, "head width 64, as in every released DINOv2") }
        if width > 0, width % 16 == 0 { return (width / 16, "head width 16, since the width \(width) is not a multiple of 64") }
        return (1, "a single head, since the width \(width) is a multiple of neither 64 nor 16")
    }

    /// The head count of a backbone `width` wide: `recorded` (config.json's `num_attention_heads`,
    /// `--heads`, a golden case's) when it is a divisor of the width, else `assumedHeads`' count with
    /// its rule (`rule` is nil when recorded). Every reader of a backbone resolves heads here.
    package static func heads(width: Int, recorded: Int?) -> (heads: Int, rule: String?) {
        if let recorded, recorded > 0, width % recorded == 0 { return (recorded, nil) }
        let assumed = assumedHeads(width: width)
        return (assumed.heads, assumed.rule)
    }

    /// What inspect, verify and embed print after `heads:` when `rule` chose the count, e.g.
    /// `2 assumed (head width 16, since the width 32 is not a multiple of 64); no config.json gives them`.
    public static func assumedHeadsText(_ heads: Int, rule: String) -> String {
        "\(heads) assumed (\(rule)); no config.json gives them"
    }

    /// The standard presets (patch 14, MLP ratio 4): the one list `synth --arch`, `verify --expect`
    /// and `name` read.
    public static let presets: [(name: String, letter: String, arch: Architecture)] = [
        ("vits14", "S", Architecture(width: 384, depth: 12, heads: 6)),
        ("vitb14", "B", Architecture(width: 768, depth: 12, heads: 12)),
        ("vitl14", "L", Architecture(width: 1024, depth: 24, heads: 16)),
        ("vitg14", "g", Architecture(width: 1536, depth: 40, heads: 24, ffn: .swiglu)),
    ]

    /// A preset by name (`vits14`, `vitb14`, `vitl14`, `vitg14`), optionally with registers and image size.
    public static func preset(_ name: String, imageSize: Int = 518, registers: Int = 0) -> Architecture? {
        guard var arch = presets.first(where: { $0.name == name })?.arch else { return nil }
        arch.imageSize = imageSize
        arch.registers = registers
        return arch
    }

    /// `ViT-B/14` for a preset's width/depth/heads/FFN combination, else `ViT-D384-L2-H6/14`.
    public var name: String {
        if let match = Self.presets.first(where: {
            $0.arch.width == width && $0.arch.depth == depth && $0.arch.heads == heads && $0.arch.ffn == ffn
        }) {
            return "ViT-\(match.letter)/\(patchSize)"
        }
        return "ViT-D\(width)-L\(depth)-H\(heads)/\(patchSize)"
    }

    /// e.g. `ViT-B/14, 518 px (37×37), 0 registers, MLP, 12 blocks`, or for DINOv3
    /// `DINOv3 ViT-S/16, RoPE θ 100, 4 registers, MLP, 12 blocks`.
    public var summary: String {
        if family == .dinov3 { return dinov3Summary }
        return "\(name), \(imageSize) px (\(gridSize)×\(gridSize)), \(registers) register\(registers == 1 ? "" : "s"), \(ffn == .mlp ? "MLP" : "SwiGLU"), \(depth) blocks"
    }
}
