import ArgumentParser
import CkptKit

extension Ckpt.Convert {
    struct Dinov2ToHF: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dinov2-to-hf",
            abstract: "Convert an original DINOv2 backbone to a Hugging Face folder.",
            discussion: """
                Writes OUTDIR/model.safetensors and OUTDIR/config.json (model_type dinov2, or \
                dinov2_with_registers with registers), which transformers.AutoModel.from_pretrained loads with \
                no missing or unexpected keys. SRC may be chunked (blocks.{c}.{i}.*) or a training checkpoint \
                (its teacher). Bytes are copied unchanged unless --dtype asks otherwise.
                """)

        @Argument(help: "Original-layout .safetensors file (or a training checkpoint).")
        var source: String

        @Option(name: .shortAndLong, help: "Output folder (created if missing).")
        var output: String

        @Option(name: .long, help: "A DINOHead file to copy alongside as OUTDIR/dino_head.safetensors.")
        var head: String?

        @OptionGroup var options: OutputOptions

        func run() throws {
            let checkpoint = try Checkpoint.open(source)
            let analysis = try requireLayout(checkpoint, [.dinov2, .dinov2Train], command: "dinov2-to-hf")
            let headOutput = try head.map {
                LayoutWriter.HeadOutput(try Layouts.analyze(try Checkpoint.open($0)), weightNorm: nil, to: nil)
            }
            let conversion = try LayoutWriter.writeRelease(analysis, layout: .hf, to: output, head: headOutput,
                                                           cast: options.cast, overwrite: options.force).backbone
            printWarnings(conversion)
            print("\(output): \(conversion.tensors.count) tensors, hf \(conversion.detected.architecture!.summary)")
        }
    }
}
