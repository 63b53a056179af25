import CkptCheckpoint
import CkptCore

/// What a DINOv3 backbone's tensors and `config.json` say beyond the shapes `architecture(of:)` reads.
extension Layouts {
    /// Sets the DINOv3 facts of `arch` (family, qkv bias, key-bias masking, eps 1e-5, RoPE base, heads)
    /// from the canonical tensors of a model read in `layout` and from transformers' `config.json`
    /// when there is one; every conflict with the config is reported at once. Returns the rule that
    /// chose the head count when no config gave it (`Architecture.dinov3Heads`).
    static func readDINOv3Facts(_ c: Checkpoint, canonical: [String: TensorEntry], arch: inout Architecture,
                                layout: BackboneLayout) throws -> String? {
        let qkvBias = BackboneTable.rule(.qkvBias).pattern.filled(0)
        let maskRule = BackboneTable.rules.first { $0.condition == .maskedKeyBias }!
        arch.family = .dinov3
        arch.qkvBias = canonical[qkvBias] != nil || arch.depth == 0
        // Only Meta's layout stores the mask; transformers and timm have no key bias, which is the
        // masked model's forward pass.
        arch.maskedKeyBias = arch.qkvBias && (layout.kind != .dinov3 || canonical[maskRule.pattern.filled(0)] != nil)
        arch.localClsNorm = layout.kind == .dinov3 && canonical["local_cls_norm.weight"] != nil
        arch.layerNormEps = 1e-5
        arch.imageSize = 14 * arch.patchSize  // config.json's default 224 at patch 16; no tensor depends on it
        let periods = canonical["rope_embed.periods"]?.shape.first
        var conflicts: [String] = []
        var recordedHeads: Int?
        if let config = c.config {
            func check(_ field: String, _ expected: Int, what: String) {
                guard let value = config[field] else { return }
                if value.intValue != expected { conflicts.append("\(field) is \(JSONWriter.compact(value)) but \(what) is \(expected)") }
            }
            func checkBool(_ field: String, _ expected: Bool, what: String) {
                guard let value = config[field] else { return }
                if value.boolValue != expected { conflicts.append("\(field) is \(JSONWriter.compact(value)) but \(what)") }
            }
            if let modelType = config["model_type"]?.stringValue, modelType != "dinov3_vit" {
                conflicts.append("model_type is \"\(modelType)\", not dinov3_vit" + (modelType == "dinov3_convnext" ? " (a DINOv3 ConvNeXt: not a ViT)" : ""))
            }
            check("hidden_size", arch.width, what: "the patch embedding width")
            check("num_hidden_layers", arch.depth, what: "the number of blocks")
            check("patch_size", arch.patchSize, what: "the patch embedding kernel")
            check("num_register_tokens", arch.registers, what: "register_tokens' count")
            check("intermediate_size", arch.ffnHidden, what: "the FFN hidden width")
            checkBool("use_gated_mlp", arch.ffn == .swiglu, what: "the blocks hold \(arch.ffn == .swiglu ? "SwiGLU" : "MLP") weights")
            checkBool("query_bias", arch.qkvBias, what: "q_proj.bias is \(arch.qkvBias ? "present" : "absent")")
            checkBool("value_bias", arch.qkvBias, what: "v_proj.bias is \(arch.qkvBias ? "present" : "absent")")
            checkBool("key_bias", false, what: "ckpt reads DINOv3 models without a key bias (k_proj.bias) only")
            if let eps = config["layer_norm_eps"]?.doubleValue { arch.layerNormEps = eps }
            if let theta = config["rope_theta"]?.doubleValue {
                if theta > 0 { arch.ropeTheta = theta } else { conflicts.append("rope_theta is \(theta), not a positive base") }
            }
            if let size = config["image_size"]?.intValue { arch.imageSize = size }
            if let heads = config["num_attention_heads"] {
                if let h = heads.intValue, h > 0, arch.width % h == 0, (arch.width / h) % 4 == 0 {
                    recordedHeads = h
                } else {
                    conflicts.append("num_attention_heads is \(JSONWriter.compact(heads)), which does not give a head width that divides the width \(arch.width) and is a multiple of 4 (RoPE)")
                }
            }
        }
        var rule: String?
        if let recordedHeads {
            arch.heads = recordedHeads
            if let periods, periods * 4 != arch.headDim {
                conflicts.append("num_attention_heads \(recordedHeads) gives head width \(arch.headDim) but rope_embed.periods has \(periods) entries (head_dim / 4)")
            }
        } else if let (heads, why) = Architecture.dinov3Heads(width: arch.width, periods: periods) {
            arch.heads = heads
            rule = why
        } else {
            let assumed = Architecture.assumedHeads(width: arch.width)
            arch.heads = assumed.heads
            rule = assumed.rule
        }
        if !conflicts.isEmpty { throw LayoutError(path: c.path, problem: .configConflict(conflicts)) }
        return rule
    }
}
