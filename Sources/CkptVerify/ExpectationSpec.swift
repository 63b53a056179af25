import CkptForward
import CkptLayout
/// A named expectation for `ckpt verify --expect`: the model a release must be.
public enum ExpectationSpec: Equatable, Sendable {
    /// A DINOv2 backbone, accepted in the HF or the original layout unless the caller pins one.
    case backbone(name: String, architecture: Architecture)
    /// A DINOHead, with the last layer in either weight-norm spelling.
    case head(name: String, head: HeadArchitecture)

    /// The names `parse` accepts, for help texts.
    public static let names = ["raddino", "raddino-head"] + Architecture.presets.map { "dinov2-\($0.name)" }
        + Architecture.presets.map { "dinov2-\($0.name)-reg4" }

    /// RAD-DINO's backbone: ViT-B/14, 518 px, no registers.
    public static let raddino = Architecture.preset("vitb14")!
    /// RAD-DINO's `dino_head.safetensors`: DINOHead 768→2048→256→65536.
    public static let raddinoHead = HeadArchitecture(inDim: 768, hiddenDim: 2048, bottleneckDim: 256, outDim: 65536)

    /// Parses `raddino`, `raddino-head` or `dinov2-vit{s,b,l,g}14[-reg4]`.
    /// - Parameter imageSize: the native image size of a `dinov2-*` spec (default 518); the RAD-DINO
    ///   specs are fixed and reject it.
    /// - Returns: nil for an unknown name or an image size that does not fit the spec (the caller
    ///   reports a usage error).
    public static func parse(_ text: String, imageSize: Int? = nil) -> ExpectationSpec? {
        switch text {
        case "raddino": return imageSize == nil ? .backbone(name: text, architecture: raddino) : nil
        case "raddino-head": return imageSize == nil ? .head(name: text, head: raddinoHead) : nil
        default: break
        }
        guard text.hasPrefix("dinov2-") else { return nil }
        var preset = String(text.dropFirst("dinov2-".count))
        var registers = 0
        if preset.hasSuffix("-reg4") { preset.removeLast("-reg4".count); registers = 4 }
        let size = imageSize ?? 518
        guard size > 0, size % 14 == 0, let arch = Architecture.preset(preset, imageSize: size, registers: registers) else {
            return nil
        }
        return .backbone(name: text, architecture: arch)
    }

    /// The spec's name as `--expect` takes it.
    public var name: String {
        switch self {
        case let .backbone(name, _), let .head(name, _): return name
        }
    }
}
