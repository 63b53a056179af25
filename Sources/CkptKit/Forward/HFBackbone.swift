/// Hugging Face `Dinov2Model` tensors under their original DINOv2 names, zero-copy (a fused qkv is
/// the three source ranges in order q, k, v).
///
/// A stop-gap so the forward pass reads HF folders before the layout module's
/// `Layouts.backboneTensors(_:as: .dinov2)` is merged; `ViTWeights.tensors(of:)` is the one call
/// site to switch over.
enum HFBackbone {
    /// Whole-model renames: (HF name, original name).
    static let topLevel: [(String, String)] = [
        ("embeddings.cls_token", "cls_token"),
        ("embeddings.mask_token", "mask_token"),
        ("embeddings.register_tokens", "register_tokens"),
        ("embeddings.position_embeddings", "pos_embed"),
        ("embeddings.patch_embeddings.projection.weight", "patch_embed.proj.weight"),
        ("embeddings.patch_embeddings.projection.bias", "patch_embed.proj.bias"),
        ("layernorm.weight", "norm.weight"),
        ("layernorm.bias", "norm.bias"),
    ]

    /// Per-block renames below `encoder.layer.{i}.` → `blocks.{i}.`.
    static let perBlock: [(String, String)] = [
        ("norm1.weight", "norm1.weight"), ("norm1.bias", "norm1.bias"),
        ("attention.output.dense.weight", "attn.proj.weight"), ("attention.output.dense.bias", "attn.proj.bias"),
        ("layer_scale1.lambda1", "ls1.gamma"), ("layer_scale2.lambda1", "ls2.gamma"),
        ("norm2.weight", "norm2.weight"), ("norm2.bias", "norm2.bias"),
        ("mlp.fc1.weight", "mlp.fc1.weight"), ("mlp.fc1.bias", "mlp.fc1.bias"),
        ("mlp.fc2.weight", "mlp.fc2.weight"), ("mlp.fc2.bias", "mlp.fc2.bias"),
        ("mlp.weights_in.weight", "mlp.w12.weight"), ("mlp.weights_in.bias", "mlp.w12.bias"),
        ("mlp.weights_out.weight", "mlp.w3.weight"), ("mlp.weights_out.bias", "mlp.w3.bias"),
    ]

    static func originalTensors(_ checkpoint: Checkpoint) throws -> [TensorEntry] {
        let prefix = checkpoint["dinov2.embeddings.cls_token"] != nil ? "dinov2." : ""
        func get(_ name: String) -> TensorEntry? { checkpoint[prefix + name] }
        var out: [TensorEntry] = []
        for (hf, original) in topLevel { if let t = get(hf) { out.append(t.renamed(original)) } }
        var i = 0
        while get("encoder.layer.\(i).norm1.weight") != nil {
            let hfBlock = "encoder.layer.\(i).", block = "blocks.\(i)."
            for (hf, original) in perBlock { if let t = get(hfBlock + hf) { out.append(t.renamed(block + original)) } }
            for part in ["weight", "bias"] {
                let qkv = ["query", "key", "value"].compactMap { get(hfBlock + "attention.attention.\($0).\(part)") }
                guard qkv.count == 3 else { continue }  // reported as missing by ViTWeights
                guard qkv.allSatisfy({ $0.dtype == qkv[0].dtype && $0.shape == qkv[0].shape }) else {
                    throw CkptError.invalidRequest("\(checkpoint.path): \(hfBlock)attention.attention.{query,key,value}.\(part) differ in dtype or shape")
                }
                var shape = qkv[0].shape
                shape[0] *= 3
                out.append(TensorEntry(name: block + "attn.qkv.\(part)", dtype: qkv[0].dtype, shape: shape,
                                       segments: qkv.flatMap(\.segments), sourcePath: qkv[0].sourcePath))
            }
            i += 1
        }
        return out
    }
}
