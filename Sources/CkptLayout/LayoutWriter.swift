import CkptCheckpoint
import CkptFormat
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes converted backbones and heads: one atomic safetensors file each (plus `config.json` for an
/// HF folder), every destination checked before anything is written.
public enum LayoutWriter {
    /// The output dtype for each source dtype (`--dtype`); identity keeps the bytes unchanged.
    public typealias Cast = (DType) -> DType

    /// Writes the backbone of `checkpoint` in `layout` to the file `path`.
    @discardableResult
    public static func writeBackbone(_ checkpoint: Checkpoint, layout: LayoutKind, to path: String,
                                     from branch: TrainBranch = .teacher, cast: Cast = { $0 },
                                     overwrite: Bool = false) throws -> Layouts.Conversion {
        let conversion = try Layouts.convertBackbone(checkpoint, to: layout, from: branch)
        try SafetensorsWriter.write(outputs(conversion.tensors, cast), to: path, overwrite: overwrite,
                                    protecting: checkpoint.fileIdentities)
        return conversion
    }

    /// Writes the DINOHead of `checkpoint` to `path` with the last layer spelled `weightNorm`
    /// (nil keeps the input's spelling).
    @discardableResult
    public static func writeHead(_ checkpoint: Checkpoint, weightNorm: WeightNormSpelling?, to path: String,
                                 from branch: TrainBranch = .teacher, cast: Cast = { $0 },
                                 overwrite: Bool = false, protecting extra: [FileIdentity] = []) throws -> Layouts.Conversion {
        let conversion = try Layouts.convertHead(checkpoint, weightNorm: weightNorm, from: branch)
        try SafetensorsWriter.write(outputs(conversion.tensors, cast), to: path, overwrite: overwrite,
                                    protecting: checkpoint.fileIdentities + extra)
        return conversion
    }

    /// Writes an HF folder: `dir/model.safetensors`, `dir/config.json`, and, with `head`,
    /// `dir/dino_head.safetensors`. The folder is created if needed; every destination is checked
    /// (exists without `overwrite`, is an input) before the first byte is written.
    @discardableResult
    public static func writeHFFolder(_ checkpoint: Checkpoint, to dir: String, head: Checkpoint? = nil,
                                     from branch: TrainBranch = .teacher, cast: Cast = { $0 },
                                     overwrite: Bool = false) throws -> Layouts.Conversion {
        let conversion = try Layouts.convertBackbone(checkpoint, to: .hf, from: branch)
        let headConversion = try head.map { try Layouts.convertHead($0, weightNorm: nil, from: branch) }
        guard let arch = conversion.detected.architecture else {
            throw CkptError.layout(path: checkpoint.path, problem: .notPresent("no backbone in this checkpoint"))
        }
        let model = FileSystem.join(dir, HFDirectory.singleName)
        let config = FileSystem.join(dir, "config.json")
        let headPath = FileSystem.join(dir, "dino_head.safetensors")
        let inputs = checkpoint.fileIdentities + (head?.fileIdentities ?? [])
        var createdFolder = false
        switch FileSystem.kind(of: dir) {
        case .missing:
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw CkptError.io(path: dir, operation: "mkdir", code: Int32((error as NSError).code))
            }
            createdFolder = true
        case .directory: break
        case .file, .other: throw CkptError.unsupportedInput(path: dir, reason: "output must be a folder")
        }
        // All three files are written to temporary names first and moved into place only when every
        // one of them is complete: a failure leaves the folder as it was (and removes it if we made it).
        var staged: [AtomicOutput] = []
        do {
            for path in [model, config] + (head == nil ? [] : [headPath]) {
                guard let identity = FileIdentity.of(path: path) else { continue }
                if inputs.contains(identity) { throw CkptError.outputIsInput(output: path, input: path) }
                if !overwrite { throw CkptError.outputExists(path: path) }
            }
            let tensors = outputs(conversion.tensors, cast)
            let dtype = tensors.first { $0.name == "embeddings.cls_token" }?.dtype ?? .f32
            let useMask = conversion.tensors.contains { $0.name == "embeddings.mask_token" }
            staged.append(try SafetensorsWriter.stage(tensors, to: model, overwrite: overwrite, protecting: inputs))
            if let head, let headConversion {
                staged.append(try SafetensorsWriter.stage(outputs(headConversion.tensors, cast), to: headPath,
                                                          overwrite: overwrite, protecting: inputs + head.fileIdentities))
            }
            let output = try AtomicOutput(destination: config, overwrite: overwrite, protecting: inputs)
            staged.append(output)
            try output.write(Array((JSONWriter.pretty(HFConfig.json(for: arch, dtype: dtype, useMaskToken: useMask)) + "\n").utf8))
            for file in staged { try file.commit() }
        } catch {
            for file in staged { file.abandon() }
            if createdFolder { rmdir(dir) }
            throw error
        }
        return conversion
    }

    static func outputs(_ tensors: [TensorEntry], _ cast: Cast) -> [OutputTensor] {
        tensors.map { OutputTensor($0, dtype: cast($0.dtype)) }
    }
}
