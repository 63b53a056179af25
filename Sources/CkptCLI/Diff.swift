import ArgumentParser
import CkptKit

extension Ckpt {
    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "diff",
            abstract: "Compare two checkpoints tensor by tensor, across layouts.",
            discussion: """
                B is mapped into A's layout when they differ (HF ⇄ original DINOv2, DINOHead spellings), so \
                `ckpt diff model.safetensors backbone_compatible.safetensors` proves both hold the same \
                weights. Per tensor: identical, or max abs diff, max rel diff and cosine. Exit 0 when every \
                tensor is identical (or within --atol) and no key is on one side only, 1 otherwise.
                """)

        @Argument(help: "Checkpoint A (its layout is the one compared in).")
        var a: String

        @Argument(help: "Checkpoint B.")
        var b: String

        @Option(name: .long, help: "Accept float tensors whose max |a−b| is at most this (NaN never matches).")
        var atol: Double?

        @Flag(name: .long, help: "Print the report as JSON (schema ckpt.diff/1).")
        var json = false

        func validate() throws {
            if let atol, !(atol >= 0 && atol.isFinite) { throw ValidationError("--atol must be a finite number ≥ 0") }
        }

        func run() throws {
            let report = try CheckpointDiff.diff(try Checkpoint.open(a), try Checkpoint.open(b), atol: atol)
            print(json ? JSONWriter.pretty(report.json) : report.text(color: Terminal.color))
            if !report.passed { throw ExitCode(1) }
        }
    }
}
