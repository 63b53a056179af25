import CkptCheckpoint
import CkptFormat

/// Writes converted backbones and heads: one atomic safetensors file each (plus `config.json` for an
/// HF folder), every destination checked before anything is written.
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
        let checkpoint = analysis.checkpoint
        let conversion = try Layouts.convertBackbone(analysis, to: .hf)
        let headConversion = try head.map { try Layouts.convertHead($0, weightNorm: nil) }
        guard let arch = conversion.detected.architecture else {
            throw CkptError.layout(path: checkpoint.path, problem: .notPresent("no backbone in this checkpoint"))
        }
        let inputs = checkpoint.fileIdentities + (head?.fileIdentities ?? [])
        let tensors = outputs(conversion.tensors, cast)
        // config.json records the weights' dtype (the patch embedding's) and whether the keys HF may
        // lack (the mask token) were written.
        let hf = try BackboneLayouts.layout(.hf, for: arch.family, path: checkpoint.path)
        let dtype = tensors.first { $0.name == hf.telltale }?.dtype ?? .f32
        let optional = Set(BackboneTable.rules.filter { hf.spelling(of: $0).missingNote != nil }.flatMap { hf.spelling(of: $0).names })
        let useMask = conversion.tensors.contains { optional.contains($0.name) }
        var files: [StagedFolder.File] = [
            (HFDirectory.singleName, { try SafetensorsWriter.stage(tensors, to: $0, overwrite: overwrite, protecting: inputs) }),
            ("config.json", { try HFConfig.stage(arch, dtype: dtype, useMaskToken: useMask, to: $0, overwrite: overwrite, protecting: inputs) }),
        ]
        if let headConversion {
            let headTensors = outputs(headConversion.tensors, cast)
            files.append((HFDirectory.headName, { try SafetensorsWriter.stage(headTensors, to: $0, overwrite: overwrite, protecting: inputs) }))
        }
        try StagedFolder.write(dir, files: files, overwrite: overwrite, protecting: inputs)
        return conversion
    }

    static func outputs(_ tensors: [TensorEntry], _ cast: Cast) -> [OutputTensor] {
        tensors.map { OutputTensor($0, dtype: cast($0.dtype)) }
    }
}
