import CkptCheckpoint
import CkptCore
import CkptLayout
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

    /// The convention of the code that reads the checkpoint's layout (`BackboneLayouts`): `hf` for
    /// Hugging Face weights (folder, `model.safetensors`, classifier), `dinov2` for the original
    /// layout and for anything that is not a backbone layout (a training checkpoint's teacher).
    public static func `default`(for checkpoint: Checkpoint) -> PositionInterpolation {
        (try? Layouts.detect(checkpoint)).flatMap { $0.kind.interpolationConvention }.flatMap(Self.init(rawValue:)) ?? .dinov2
    }

    /// The torch call this convention makes for a model with `registers` register tokens.
    func resample(registers: Int) -> (kernel: BicubicResize.Kernel, offset: Double?) {
        switch (self, registers > 0) {
        case (.dinov2, false): return (.bicubic, 0.1)
        case (.dinov2, true), (.hf, true): return (.bicubicAntialias, nil)
        case (.hf, false): return (.bicubic, nil)
        }
    }

    /// The patch-position embeddings `[gh · gw, D]` for an image of `height × width` pixels.
    ///
    /// Both upstreams return the stored grid unchanged when the patch count matches and the image
    /// is square (in pixels); otherwise they resample, even when one axis already matches.
    static func patchPositions(_ stored: UnsafeBufferPointer<Float>, architecture a: Architecture,
                               height: Int, width: Int, convention: PositionInterpolation) -> [Float] {
        let g = a.gridSize, d = a.width
        let gh = height / a.patchSize, gw = width / a.patchSize
        let grid = Array(stored[d..<(1 + g * g) * d])
        if gh * gw == g * g && height == width { return grid }
        let (kernel, offset) = convention.resample(registers: a.registers)
        let scales = offset.map { ((Double(gh) + $0) / Double(g), (Double(gw) + $0) / Double(g)) }
        return BicubicResize.resize(grid, inH: g, inW: g, channels: d, outH: gh, outW: gw, kernel: kernel, scaleFactors: scales)
    }
}
