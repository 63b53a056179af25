import CkptCheckpoint
import CkptCore
import CkptLayout
/// The backbone tensors the forward pass reads, by their original DINOv2 names. Reading, the
/// architecture and the strict key/shape check are `Layouts`' (one table, one inference), so any
/// layout it reads works: original (plain, chunked, training checkpoint teacher), HF folder or file,
/// classifier.
public struct ViTWeights: Sendable {
    /// The backbone's shape, heads resolved (`Architecture.heads`).
    public let architecture: Architecture
    /// Tensors by original name.
    let entries: [String: TensorEntry]
    /// Every tensor name in the backbone table's order (what the pass lends).
    let names: [String]
    /// Where the tensors came from, for messages.
    public let source: String
    /// The rule that chose the head count (`Architecture.assumedHeads`) when neither `config.json`
    /// nor the caller gave it; nil otherwise.
    public let headsRule: String?

    /// Reads the backbone of `checkpoint`, inferring its architecture from tensor shapes (and
    /// `config.json` when there is one). `heads` overrides the head count, which the original
    /// layout does not record; `layerNormEps` overrides the LayerNorm epsilon.
    public init(checkpoint: Checkpoint, heads: Int? = nil, layerNormEps: Double? = nil) throws {
        try self.init(analysis: Layouts.analyze(checkpoint), heads: heads, layerNormEps: layerNormEps)
    }

    /// The backbone of an analysed checkpoint (its tensors are not looked up again): what a command that
    /// also needs the analysis for something else (the interpolation convention) builds the model from.
    public init(analysis: Layouts.Analysis, heads: Int? = nil, layerNormEps: Double? = nil) throws {
        let checkpoint = analysis.checkpoint
        let conversion = try Layouts.canonicalBackbone(analysis)
        guard var arch = conversion.detected.architecture else {
            preconditionFailure("convertBackbone returned a backbone without an architecture")
        }
        if let heads {
            guard heads > 0, arch.width % heads == 0 else {
                throw CkptError.headsDoNotDivideWidth(path: checkpoint.path, heads: heads, width: arch.width)
            }
            arch.heads = heads
        }
        if let layerNormEps { arch.layerNormEps = layerNormEps }
        let problems = conversion.tensors.filter { !$0.dtype.isCastableFloat }
            .map { "tensor \"\($0.name)\" is \($0.dtype.rawValue), not a float type" }
        if !problems.isEmpty { throw CkptError.unusableTensors(path: checkpoint.path, problems: problems) }
        architecture = arch
        entries = Dictionary(uniqueKeysWithValues: conversion.tensors.map { ($0.name, $0) })
        names = conversion.tensors.map(\.name)
        source = checkpoint.path
        headsRule = heads == nil ? conversion.detected.headsRule : nil
    }

    /// Builds from original-named tensors, read like a file holding them (`source` names it in
    /// messages); every missing tensor or wrong shape is reported at once.
    package init(tensors list: [TensorEntry], source: String, heads: Int? = nil, layerNormEps: Double? = nil) throws {
        let checkpoint = Checkpoint(path: source, kind: .safetensors, tensors: list, metadata: nil, config: nil, files: [])
        try self.init(checkpoint: checkpoint, heads: heads, layerNormEps: layerNormEps)
    }

    /// The tensor named `name` (validated to exist by `init`).
    func entry(_ name: String) -> TensorEntry { entries[name]! }
}
