import CVecMath

extension Kernels {
    /// Query rows per attention call that the fused kernel handles as one cache-resident block.
    static let attentionQueryBlock = Int(CKPT_ATTENTION_QUERY_BLOCK)

    /// Floats of per-thread scratch one `attention` call needs.
    static func attentionScratchCount(headDim: Int) -> Int { ckpt_attention_scratch_floats(headDim) }

    /// `out[m, hd] = softmax(scale · q kᵀ) v` for one head, fused (`ckpt_attention`): the scores
    /// never leave cache. Strides are in floats; `scratch` holds `attentionScratchCount` floats
    /// used by no other thread during the call.
    static func attention(q: UnsafePointer<Float>, ldq: Int, m: Int, k: UnsafePointer<Float>, ldk: Int,
                          v: UnsafePointer<Float>, ldv: Int, t: Int, headDim: Int, scale: Float,
                          out: UnsafeMutablePointer<Float>, ldo: Int, scratch: UnsafeMutablePointer<Float>) {
        ckpt_attention(q, ldq, m, k, ldk, v, ldv, t, headDim, scale, out, ldo, scratch)
    }

    /// Which path the fused attention takes on this machine ("avx512f", "avx2-fma" or "scalar").
    static var attentionPath: String { String(cString: ckpt_attention_path()) }
}
