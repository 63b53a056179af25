import CkptLayout
// The convention itself is declared in CkptLayout (an analysis carries it); what it does to the grid is here.
extension PositionInterpolation {
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
