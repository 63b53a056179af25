import ArgumentParser
import CkptKit

extension Ckpt {
    struct Synth: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "synth",
            abstract: "Write synthetic DINOv2 weights (the counter-based generator of golden/SYNTH.md).",
            discussion: """
                Values depend only on the original key name, the element index and --seed, so the output is \
                bit-identical to golden/gen/synth.py and can be checked against a recorded SHA-256. Tensors are \
                generated chunk by chunk while the file is written: memory stays bounded for any size. \
                --layout hf writes a folder (model.safetensors + config.json).
                """)

        /// A name from `Architecture.presets`, the one preset list.
        struct Preset: ExpressibleByArgument {
            let rawValue: String
            init?(argument: String) {
                guard Architecture.preset(argument) != nil else { return nil }
                rawValue = argument
            }
            static var allValueStrings: [String] { Architecture.presets.map(\.name) }
        }
        enum FFNChoice: String, ExpressibleByArgument, CaseIterable { case mlp, swiglu }

        @Option(help: "Preset architecture (width/depth/heads/ffn); the flags below override it.")
        var arch: Preset?
        @Option(help: "Embedding width D.") var width: Int?
        @Option(help: "Number of blocks.") var depth: Int?
        @Option(help: "Attention heads (must divide the width).") var heads: Int?
        @Option(help: "FFN kind.") var ffn: FFNChoice?
        @Option(help: "Register tokens.") var registers = 0
        @Option(help: "Image size in pixels (a multiple of the patch size 14).") var imageSize = 518
        @Option(help: "Generator seed.") var seed: UInt64 = 0
        @Option(help: "Layout of the backbone output.") var layout = BackboneLayoutChoice(.dinov2)
        @Option(name: .shortAndLong, help: "Output .safetensors file, or folder for a layout stored as one (hf).") var output: String
        @Option(help: "Also write a DINOHead (in_dim = width) to this file, legacy weight-norm spelling.") var headOutput: String?
        @Option(help: "DINOHead output dimension.") var headOutDim = 65536
        @Option(help: "DINOHead hidden dimension.") var headHiddenDim = 2048
        @Option(help: "DINOHead bottleneck dimension.") var headBottleneckDim = 256
        @Flag(help: "Overwrite existing outputs.") var force = false

        var architecture: Architecture? {
            let base = arch.flatMap { Architecture.preset($0.rawValue, imageSize: imageSize, registers: registers) }
            guard let width = width ?? base?.width, let depth = depth ?? base?.depth, let heads = heads ?? base?.heads else { return nil }
            let kind: Architecture.FFN = ffn.map { $0 == .mlp ? .mlp : .swiglu } ?? base?.ffn ?? .mlp
            return Architecture(width: width, depth: depth, heads: heads, patchSize: 14, imageSize: imageSize,
                                registers: registers, ffn: kind)
        }

        /// The largest dimension (width, depth, heads, registers, head dims) and image size synth takes:
        /// far above any real model, and low enough that every tensor's byte count fits in an `Int`.
        static let maxDimension = 1 << 20, maxImageSize = 14 * 4096

        func validate() throws {
            let bounded: [(String, Int?, Int)] = [
                ("--width", width, Self.maxDimension), ("--depth", depth, Self.maxDimension), ("--heads", heads, Self.maxDimension),
                ("--registers", registers, Self.maxDimension), ("--image-size", imageSize, Self.maxImageSize),
                ("--head-out-dim", headOutDim, Self.maxDimension), ("--head-hidden-dim", headHiddenDim, Self.maxDimension),
                ("--head-bottleneck-dim", headBottleneckDim, Self.maxDimension),
            ]
            for case let (flag, value?, limit) in bounded where value > limit {
                throw ValidationError("\(flag) \(value) is over synth's limit of \(limit)")
            }
            guard let a = architecture else { throw ValidationError("give --arch, or all of --width, --depth and --heads") }
            guard a.width > 0, a.depth >= 0, a.heads > 0, a.width % a.heads == 0 else {
                throw ValidationError("--heads \(a.heads) must be positive and divide --width \(a.width)")
            }
            guard registers >= 0 else { throw ValidationError("--registers must be ≥ 0") }
            guard imageSize >= 14, imageSize % 14 == 0 else { throw ValidationError("--image-size \(imageSize) must be a positive multiple of the patch size 14") }
            if let headOutput, headOutput == output { throw ValidationError("--head-output must differ from --output") }
            guard headOutDim > 0, headHiddenDim > 0, headBottleneckDim > 0 else { throw ValidationError("head dimensions must be positive") }
        }

        func run() throws {
            let a = architecture!
            let tensors = SynthWeights.backbone(a, seed: seed, layout: layout.kind)
            let h = headOutput.map { _ in
                HeadArchitecture(inDim: a.width, hiddenDim: headHiddenDim, bottleneckDim: headBottleneckDim,
                                 outDim: headOutDim)
            }
            var head: (tensors: [GeneratedTensor], path: String)?
            if let h, let headOutput { head = (SynthWeights.head(h, seed: seed), headOutput) }
            try SynthFolder.writeRelease(tensors, architecture: a, folder: layout.kind.writesFolder, to: output,
                                         head: head, overwrite: force)
            print("\(output): \(tensors.count) tensors, \(layout.kind.rawValue) \(a.summary), seed \(seed)")
            if let h, let headOutput { print("\(headOutput): \(h.summary), seed \(seed)") }
        }
    }
}
