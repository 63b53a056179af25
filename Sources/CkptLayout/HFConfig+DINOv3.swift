import CkptCheckpoint
import CkptCore

extension HFConfig {
    /// `config.json` of transformers' `DINOv3ViTModel` (`model_type` dinov3_vit) for `a`, with the
    /// fields `save_pretrained` writes in its (alphabetical) order, less the derived backbone fields
    /// (`stage_names`, `out_features`, `out_indices`) that `DINOv3ViTConfig.__post_init__` recomputes.
    /// The key bias is masked or absent in every model ckpt writes (`key_bias` false); SwiGLU models
    /// are `use_gated_mlp` with SiLU, as transformers' gated MLP requires.
    static func dinov3JSON(for a: Architecture, dtype: DType) -> JSONValue {
        .object([
            ("apply_layernorm", .bool(true)),
            ("architectures", .array([.string("DINOv3ViTModel")])),
            ("attention_dropout", .number("0.0")),
            ("drop_path_rate", .number("0.0")),
            ("dtype", .string(torchName(dtype))),
            ("hidden_act", .string(a.ffn == .swiglu ? "silu" : "gelu")),
            ("hidden_size", .int(a.width)),
            ("image_size", .int(a.imageSize)),
            ("initializer_range", .number("0.02")),
            ("intermediate_size", .int(a.ffnHidden)),
            ("key_bias", .bool(false)),
            ("layer_norm_eps", .number(a.layerNormEps == 1e-5 ? "1e-05" : epsText(a.layerNormEps))),
            ("layerscale_value", .number("1.0")),
            ("mlp_bias", .bool(true)),
            ("model_type", .string("dinov3_vit")),
            ("num_attention_heads", .int(a.heads)),
            ("num_channels", .int(3)),
            ("num_hidden_layers", .int(a.depth)),
            ("num_register_tokens", .int(a.registers)),
            ("patch_size", .int(a.patchSize)),
            ("pos_embed_jitter", .null),
            ("pos_embed_rescale", .number("2.0")),
            ("pos_embed_shift", .null),
            ("proj_bias", .bool(true)),
            ("query_bias", .bool(a.qkvBias)),
            ("reshape_hidden_states", .bool(true)),
            ("rope_theta", .number(a.ropeTheta == a.ropeTheta.rounded() ? "\(Int(a.ropeTheta)).0" : "\(a.ropeTheta)")),
            ("use_gated_mlp", .bool(a.ffn == .swiglu)),
            ("value_bias", .bool(a.qkvBias)),
        ])
    }
}
