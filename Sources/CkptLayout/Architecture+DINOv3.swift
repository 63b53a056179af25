import CkptCheckpoint
import CkptCore

/// The two model families ckpt reads. They share the block (pre-norm attention and FFN with layer
/// scale) and differ in how positions enter: DINOv2 adds a learned table, DINOv3 rotates queries and
/// keys of the patch tokens (RoPE) and has no table.
public enum ModelFamily: String, Sendable, CaseIterable {
    /// DINOv2 (Meta 2023): learned position table, patch 14.
    case dinov2
    /// DINOv3 ViTs (Meta 2025): RoPE, patch 16, 4 storage (register) tokens, LayerNorm eps 1e-5.
    case dinov3

    /// "DINOv2", "DINOv3".
    public var displayName: String { self == .dinov2 ? "DINOv2" : "DINOv3" }
}

extension Architecture {
    /// Whether positions enter through RoPE (DINOv3) rather than a learned table.
    public var usesRoPE: Bool { family == .dinov3 }

    /// e.g. `DINOv3 ViT-S/16, RoPE θ 100, 4 registers, MLP, 12 blocks, qkv bias (key masked)`.
    var dinov3Summary: String {
        let theta = ropeTheta == ropeTheta.rounded() ? String(Int(ropeTheta)) : String(ropeTheta)
        let bias = qkvBias ? (maskedKeyBias ? "qkv bias (key masked)" : "qkv bias") : "no qkv bias"
        return "DINOv3 \(name), RoPE θ \(theta), \(registers) register\(registers == 1 ? "" : "s"), \(ffn == .mlp ? "MLP" : "SwiGLU"), \(depth) blocks, \(bias)"
    }

    /// The DINOv3 head count when no `config.json` gives it, from what the tensors hold: Meta's
    /// `rope_embed.periods` has head_dim/4 entries; without it (transformers' and timm's files hold no
    /// periods), the released sizes: head width 128 for the 7B (width 4096), 64 for every other.
    /// Returns nil when neither applies (the DINOv2 fallbacks of `assumedHeads` then decide).
    static func dinov3Heads(width: Int, periods: Int?) -> (heads: Int, rule: String)? {
        if let periods, periods > 0, width % (4 * periods) == 0 {
            return (width / (4 * periods), "head width \(4 * periods) from rope_embed.periods' \(periods) entries (head_dim / 4)")
        }
        if width == 4096 { return (32, "head width 128, as in the released DINOv3 7B") }
        if width > 0, width % 64 == 0 { return (width / 64, "head width 64, as in every released DINOv3 ViT but the 7B") }
        return nil
    }

    /// transformers' `inv_freq` for this model: `1 / rope_theta ** arange(0, 1, 4 / head_dim)` in
    /// float32, head_dim/4 values (`DINOv3ViTRopePositionEmbedding`). `arange` computes
    /// `start + i · step` with the step rounded to float32; `**` is float32 `pow`.
    package var ropeInverseFrequencies: [Float] {
        let step = Float(4) / Float(headDim), base = Float(ropeTheta)
        return (0..<(headDim / 4)).map { 1 / powf(base, Float($0) * step) }
    }

    /// Meta's `rope_embed.periods` for this model: `base ** (2 · arange(head_dim/4) / (head_dim/2))`
    /// in float32 (`RopePositionEmbedding._init_weights` with `pos_embed_rope_dtype="fp32"`).
    package var ropePeriods: [Float] {
        let base = Float(ropeTheta), half = Float(headDim / 2)
        return (0..<(headDim / 4)).map { powf(base, 2 * Float($0) / half) }
    }
}

#if canImport(Glibc)
import Glibc
#endif
