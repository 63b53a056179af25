import CkptCheckpoint
import CkptCore

/// Writes converted backbones and heads: one atomic safetensors file each (plus `config.json` for an
/// HF folder), every destination checked before anything is written; a backbone and its head together
/// through `writeRelease`, the one writer of a release.
public enum LayoutWriter {
    /// The output dtype for each source dtype (`--dtype`); identity keeps the bytes unchanged.
    public typealias Cast = (DType) -> DType

    /// Writes the backbone of an analysed checkpoint in `layout` as that layout is stored: an HF folder
    /// (`model.safetensors` and `config.json`) at `path` for `.hf`, else the one file `path`.
    @discardableResult
    public static func write(_ analysis: Layouts.Analysis, layout: LayoutKind, to path: String,
                             cast: Cast = { $0 }, overwrite: Bool = false) throws -> Layouts.Conversion {
        guard let spelled = BackboneLayouts.layout(layout) else { preconditionFailure("\(layout.rawValue) is not a backbone layout") }
        if spelled.writesFolder { return try writeHFFolder(analysis, to: path, cast: cast, overwrite: overwrite) }
        return try writeBackbone(analysis, layout: layout, to: path, cast: cast, overwrite: overwrite)
    }

    /// Writes the backbone of `checkpoint` in `layout` to the file `path`.
    @discardableResult
    public static func writeBackbone(_ checkpoint: Checkpoint, layout: LayoutKind, to path: String,
                                     from branch: TrainBranch = .teacher, cast: Cast = { $0 },
                                     overwrite: Bool = false) throws -> Layouts.Conversion {
        try writeBackbone(Layouts.analyze(checkpoint, branch: branch), layout: layout, to: path, cast: cast, overwrite: overwrite)
    }

    /// Writes the backbone of an analysed checkpoint in `layout` to the file `path`.
    @discardableResult
    public static func writeBackbone(_ analysis: Layouts.Analysis, layout: LayoutKind, to path: String,
                                     cast: Cast = { $0 }, overwrite: Bool = false) throws -> Layouts.Conversion {
        let conversion = try Layouts.convertBackbone(analysis, to: layout)
        try SafetensorsWriter.write(outputs(conversion.tensors, cast), to: path, overwrite: overwrite,
                                    protecting: analysis.checkpoint.fileIdentities)
        return conversion
    }

    /// Writes the DINOHead of `checkpoint` to `path` with the last layer spelled `weightNorm`
    /// (nil keeps the input's spelling).
    @discardableResult
    public static func writeHead(_ checkpoint: Checkpoint, weightNorm: WeightNormSpelling?, to path: String,
                                 from branch: TrainBranch = .teacher, cast: Cast = { $0 },
                                 overwrite: Bool = false, protecting extra: [FileIdentity] = []) throws -> Layouts.Conversion {
        try writeHead(Layouts.analyze(checkpoint, branch: branch), weightNorm: weightNorm, to: path, cast: cast,
                      overwrite: overwrite, protecting: extra)
    }

    /// Writes the DINOHead of an analysed checkpoint to `path` with the last layer spelled `weightNorm`.
    @discardableResult
    public static func writeHead(_ analysis: Layouts.Analysis, weightNorm: WeightNormSpelling?, to path: String,
                                 cast: Cast = { $0 }, overwrite: Bool = false,
                                 protecting extra: [FileIdentity] = []) throws -> Layouts.Conversion {
        let conversion = try Layouts.convertHead(analysis, weightNorm: weightNorm)
        try SafetensorsWriter.write(outputs(conversion.tensors, cast), to: path, overwrite: overwrite,
                                    protecting: analysis.checkpoint.fileIdentities + extra)
        return conversion
    }

    /// Writes an HF folder: `dir/model.safetensors`, `dir/config.json`, and, with `head`,
    /// `dir/dino_head.safetensors`. The folder is created if needed; every destination is checked
    /// (exists without `overwrite`, is an input) before the first byte is written.
    @discardableResult
    public static func writeHFFolder(_ checkpoint: Checkpoint, to dir: String, head: Checkpoint? = nil,
                                     from branch: TrainBranch = .teacher, cast: Cast = { $0 },
                                     overwrite: Bool = false) throws -> Layouts.Conversion {
        try writeHFFolder(Layouts.analyze(checkpoint, branch: branch), to: dir, head: head, cast: cast, overwrite: overwrite)
    }

    /// `writeHFFolder` for an analysed checkpoint.
    @discardableResult
    public static func writeHFFolder(_ analysis: Layouts.Analysis, to dir: String, head: Checkpoint? = nil,
                                     cast: Cast = { $0 }, overwrite: Bool = false) throws -> Layouts.Conversion {
        let headOutput = try head.map { HeadOutput(try Layouts.analyze($0), weightNorm: nil, to: nil) }
        return try writeRelease(analysis, layout: .hf, to: dir, head: headOutput, cast: cast, overwrite: overwrite)
            .backbone
    }

    /// The DINOHead of a release (`writeRelease`): whose head, how its last layer is spelled, and where it goes.
    public struct HeadOutput {
        /// The analysed checkpoint holding the head (the backbone's own, or a separate head file).
        public let analysis: Layouts.Analysis
        /// The last layer's spelling; nil keeps the input's.
        public let weightNorm: WeightNormSpelling?
        /// The head's file; nil for `dino_head.safetensors` inside an HF folder written with it.
        public let path: String?

        /// A head from `analysis`, spelled `weightNorm`, written to `path` (nil: into the HF folder).
        public init(_ analysis: Layouts.Analysis, weightNorm: WeightNormSpelling?, to path: String?) {
            self.analysis = analysis
            self.weightNorm = weightNorm
            self.path = path
        }
    }

    /// Writes a release: the backbone of `analysis` in `layout` at `path` (an HF folder with `config.json` for
    /// `.hf`, else one file) and, with `head`, its DINOHead, as one unit. Both parts are converted and every
    /// destination is checked (exists without `overwrite`, is an input, a folder) before the first byte is
    /// written; the files are staged, synced, and then moved into place together, or none of them is.
    @discardableResult
    public static func writeRelease(_ analysis: Layouts.Analysis, layout: LayoutKind, to path: String,
                                    head: HeadOutput? = nil, cast: Cast = { $0 }, overwrite: Bool = false)
        throws -> (backbone: Layouts.Conversion, head: Layouts.Conversion?)
    {
        guard let spelled = BackboneLayouts.layout(layout) else {
            preconditionFailure("\(layout.rawValue) is not a backbone layout")
        }
        let checkpoint = analysis.checkpoint
        let conversion = try Layouts.convertBackbone(analysis, to: layout)
        let headConversion = try head.map { try Layouts.convertHead($0.analysis, weightNorm: $0.weightNorm) }
        let inputs = checkpoint.fileIdentities + (head?.analysis.checkpoint.fileIdentities ?? [])
        let tensors = outputs(conversion.tensors, cast)
        let headTensors = headConversion.map { outputs($0.tensors, cast) }
        func stage(_ tensors: [OutputTensor]) -> (String) throws -> AtomicOutput {
            { try SafetensorsWriter.stage(tensors, to: $0, overwrite: overwrite, protecting: inputs) }
        }
        guard spelled.writesFolder else {
            var files: [StagedOutputs.File] = [(path, stage(tensors))]
            if let head, let headTensors {
                guard let headPath = head.path else {
                    preconditionFailure("a head beside a \(layout.rawValue) file needs its own path")
                }
                files.append((headPath, stage(headTensors)))
            }
            try StagedOutputs.write(files, overwrite: overwrite, protecting: inputs)
            return (conversion, headConversion)
        }
        guard let arch = conversion.detected.architecture else {
            throw LayoutError(path: checkpoint.path, problem: .notPresent("no backbone in this checkpoint"))
        }
        // config.json records the weights' dtype (the patch embedding's) and whether the keys HF may
        // lack (the mask token) were written.
        let hf = try BackboneLayouts.layout(.hf, for: arch.family, path: checkpoint.path)
        let dtype = tensors.first { $0.name == hf.telltale }?.dtype ?? .f32
        let optional = Set(BackboneTable.rules.filter { hf.spelling(of: $0).missingNote != nil }.flatMap { hf.spelling(of: $0).names })
        let useMask = conversion.tensors.contains { optional.contains($0.name) }
        var files: [StagedOutputs.File] = [
            (HFDirectory.singleName, stage(tensors)),
            ("config.json", { try HFConfig.stage(arch, dtype: dtype, useMaskToken: useMask, to: $0, overwrite: overwrite, protecting: inputs) }),
        ]
        if let head, let headTensors {
            precondition(head.path == nil, "the head of an HF folder is its dino_head.safetensors")
            files.append((HFDirectory.headName, stage(headTensors)))
        }
        try StagedOutputs.write(folder: path, files: files, overwrite: overwrite, protecting: inputs)
        return (conversion, headConversion)
    }

    static func outputs(_ tensors: [TensorEntry], _ cast: Cast) -> [OutputTensor] {
        tensors.map { OutputTensor($0, dtype: cast($0.dtype)) }
    }
}
