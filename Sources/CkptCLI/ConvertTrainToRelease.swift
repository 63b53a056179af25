import ArgumentParser
import CkptKit

extension Ckpt.Convert {
    struct TrainToRelease: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "train-to-release",
            abstract: "Cut the release files out of a DINOv2 training checkpoint (the RAD-DINO recipe).",
            discussion: """
                Writes the backbone in the original layout (backbone_compatible.safetensors, loads strictly \
                into dinov2_vitb14) and the DINOHead (dino_head.safetensors), from the teacher by default. \
                Student, iBOT head and loss buffers are left out.
                """)

        @Argument(help: "Training checkpoint (keys teacher./student. then backbone./dino_head./ibot_head.).")
        var source: String

        @Option(name: .long, help: "Output backbone file (original layout).")
        var backboneOutput: String

        @Option(name: .long, help: "Output DINOHead file.")
        var headOutput: String

        @Option(name: .long, help: "Which network to take.")
        var from: BranchChoice = .teacher

        @Option(name: .long, help: "Spelling of the head's weight-normed last layer (default: as in the input).")
        var weightNorm: WeightNormChoice?

        @OptionGroup var options: OutputOptions

        func validate() throws {
            if backboneOutput == headOutput { throw ValidationError("--backbone-output and --head-output must differ") }
        }

        func run() throws {
            let checkpoint = try Checkpoint.open(source)
            let analysis = try requireLayout(checkpoint, [.dinov2Train], command: "train-to-release", branch: from.branch)
            let release = try LayoutWriter.writeRelease(
                analysis, layout: .dinov2, to: backboneOutput,
                head: LayoutWriter.HeadOutput(analysis, weightNorm: weightNorm?.spelling, to: headOutput),
                cast: options.cast, overwrite: options.force)
            let b = release.backbone, h = release.head!
            printWarnings(b)
            print("\(backboneOutput): \(b.tensors.count) tensors, dinov2 \(b.detected.architecture!.summary) (\(from.rawValue))")
            print("\(headOutput): \(h.tensors.count) tensors, \(headSummary(h, weightNorm?.spelling)) (\(from.rawValue))")
        }
    }
}
