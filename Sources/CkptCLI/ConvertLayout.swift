import ArgumentParser
import CkptKit

extension Ckpt.Convert {
    /// `ckpt convert layout SRC --to LAYOUT -o OUT`: any recognised backbone to any backbone layout.
    struct Layout: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "layout",
            abstract: "Convert a DINOv2 backbone from any recognised layout to another.",
            discussion: """
                SRC is any checkpoint `ckpt inspect` recognises as a backbone (an HF folder or file, an \
                original DINOv2 file, chunked or not, a training checkpoint's teacher, ...). OUT is a folder \
                (model.safetensors + config.json) for --to hf and one .safetensors file otherwise. Bytes are \
                copied unchanged unless --dtype asks otherwise or the target layout computes a value; the \
                report says when it does. hf-to-dinov2 and dinov2-to-hf are the named directions of this \
                command. See docs/layouts.md.
                """)

        @Argument(help: "Checkpoint holding a backbone in any recognised layout.")
        var source: String

        @Option(name: .long, help: "Target layout.")
        var to: BackboneLayoutChoice

        @Option(name: .shortAndLong, help: "Output .safetensors file, or folder for a layout stored as one (hf).")
        var output: String

        @Option(name: .long, help: "Which network of a training checkpoint to take.")
        var from: BranchChoice = .teacher

        @OptionGroup var options: OutputOptions

        func run() throws {
            let checkpoint = try Checkpoint.open(source)
            let analysis = try Layouts.analyze(checkpoint, branch: from.branch)
            let conversion = try LayoutWriter.write(analysis, layout: to.kind, to: output, cast: options.cast,
                                                    overwrite: options.force)
            printWarnings(conversion)
            print("\(output): \(conversion.tensors.count) tensors, \((conversion.layout ?? to.kind).rawValue) \(conversion.detected.architecture!.summary) (from \(conversion.detected.kind.rawValue))")
            for note in conversion.notes { print("  note: \(note)") }
        }
    }
}
