/// How the position embedding is resized when the patch grid differs from the stored grid: the
/// behaviour of one of the two upstream implementations.
public enum PositionInterpolation: String, Sendable, CaseIterable {
    /// facebookresearch/dinov2 `interpolate_pos_encoding`: bicubic with
    /// `scale_factor = ((h0 + 0.1)/G, (w0 + 0.1)/G)`, no antialias; register (`_reg`) hub models use
    /// offset 0, `size=(h0, w0)` and antialias.
    case dinov2
    /// transformers `Dinov2Model`: bicubic with `size=(h0, w0)`, no offset, no antialias;
    /// `Dinov2WithRegisters`: the same with antialias.
    case hf
}
