import ArgumentParser
import CkptKit

extension Ckpt.Convert {
    struct ConvertSafetensors: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "safetensors",
            abstract: "Rewrite any readable checkpoint as one canonical safetensors file.",
            discussion: "Merges shards, decompresses .zst, writes tensors in the reference order, optionally casts floats.")

        @Argument(help: "Checkpoint file or folder to read.")
        var source: String

        @Option(name: .shortAndLong, help: "Output .safetensors file.")
        var output: String

        @OptionGroup var options: OutputOptions

        func run() throws {
            let checkpoint = try Checkpoint.open(source)
            let tensors = options.outputs(checkpoint.tensors)
            try SafetensorsWriter.write(tensors, to: output,
                                        metadata: checkpoint.metadata ?? SafetensorsWriter.defaultMetadata,
                                        overwrite: options.force, protecting: checkpoint.fileIdentities)
            let bytes = tensors.reduce(0) { $0 + $1.byteCount }
            print("wrote \(output): \(tensors.count) tensors, \(InspectReport.grouped(bytes)) bytes of tensor data")
        }
    }
}
