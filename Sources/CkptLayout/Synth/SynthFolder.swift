import CkptCheckpoint
import CkptFormat
import Foundation

/// Writing generated weights as a Hugging Face folder.
public enum SynthFolder {
    /// `dir/model.safetensors` from `tensors` (HF names) and `dir/config.json` for `architecture`.
    public static func writeHF(_ tensors: [GeneratedTensor], architecture: Architecture, to dir: String, overwrite: Bool) throws {
        if FileSystem.kind(of: dir) == .missing {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw CkptError.io(path: dir, operation: "mkdir", code: Int32((error as NSError).code))
            }
        }
        guard FileSystem.kind(of: dir) == .directory else { throw CkptError.unsupportedInput(path: dir, reason: "output must be a folder") }
        let model = FileSystem.join(dir, HFDirectory.singleName), config = FileSystem.join(dir, "config.json")
        for path in [model, config] where !overwrite && FileIdentity.of(path: path) != nil {
            throw CkptError.outputExists(path: path)
        }
        try SafetensorsWriter.write(generated: tensors, to: model, overwrite: overwrite)
        let output = try AtomicOutput(destination: config, overwrite: overwrite, protecting: [])
        try output.write(Array((JSONWriter.pretty(HFConfig.json(for: architecture)) + "\n").utf8))
        try output.commit()
    }
}
