import CkptCheckpoint
import CkptCore

/// Writing generated weights as a Hugging Face folder or a file, with an optional head.
public enum SynthFolder {
    /// `dir/model.safetensors` from `tensors` (HF names) and `dir/config.json` for `architecture`, both
    /// or neither (`StagedOutputs`).
    public static func writeHF(_ tensors: [GeneratedTensor], architecture: Architecture, to dir: String, overwrite: Bool) throws {
        try writeRelease(tensors, architecture: architecture, folder: true, to: dir, overwrite: overwrite)
    }

    /// Generated backbone `tensors` at `path` (an HF folder with `config.json` when `folder`, else one file) and,
    /// with `head`, its head file: every destination checked first, all written or none (`StagedOutputs`).
    public static func writeRelease(_ tensors: [GeneratedTensor], architecture: Architecture, folder: Bool,
                                    to path: String, head: (tensors: [GeneratedTensor], path: String)? = nil,
                                    overwrite: Bool) throws {
        func stage(_ tensors: [GeneratedTensor]) -> (String) throws -> AtomicOutput {
            { try SafetensorsWriter.stage(generated: tensors, to: $0, overwrite: overwrite) }
        }
        let headFile: [StagedOutputs.File] = head.map { [($0.path, stage($0.tensors))] } ?? []
        guard folder else {
            try StagedOutputs.write([(path, stage(tensors))] + headFile, overwrite: overwrite, protecting: [])
            return
        }
        // The head file is named outside the folder: check it before the folder is created.
        for file in headFile {
            try AtomicOutput.checkDestination(file.destination, overwrite: overwrite, protecting: [])
        }
        try StagedOutputs.write(folder: path, files: [
            (HFDirectory.singleName, stage(tensors)),
            ("config.json", { try HFConfig.stage(architecture, to: $0, overwrite: overwrite, protecting: []) }),
        ], overwrite: overwrite, protecting: [], alongside: headFile)
    }
}
