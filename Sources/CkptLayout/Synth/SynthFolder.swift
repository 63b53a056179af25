import CkptCheckpoint
import CkptFormat

/// Writing generated weights as a Hugging Face folder.
public enum SynthFolder {
    /// `dir/model.safetensors` from `tensors` (HF names) and `dir/config.json` for `architecture`, both
    /// or neither (`StagedFolder`).
    public static func writeHF(_ tensors: [GeneratedTensor], architecture: Architecture, to dir: String, overwrite: Bool) throws {
        try StagedFolder.write(dir, files: [
            (HFDirectory.singleName, { try SafetensorsWriter.stage(generated: tensors, to: $0, overwrite: overwrite) }),
            ("config.json", { try HFConfig.stage(architecture, to: $0, overwrite: overwrite, protecting: []) }),
        ], overwrite: overwrite, protecting: [])
    }
}
