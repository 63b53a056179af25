import ArgumentParser
import CkptKit

extension Ckpt {
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "inspect",
            abstract: "List every tensor of a checkpoint with totals, metadata and source kind.",
            discussion: "PATH is a .safetensors file, a .safetensors.zst file, a Hugging Face folder (single file or sharded), or a torch.save .pth/.pt file (read without running its pickle; skipped entries are listed as notes).")

        @Argument(help: "Checkpoint file or folder.")
        var path: String

        @Flag(name: .long, help: "Print the report as JSON (schema ckpt.inspect/1).")
        var json = false

        func run() throws {
            var report = InspectReport(try Checkpoint.open(path))
            report.addLayoutSection()
            print(json ? JSONWriter.pretty(report.json) : report.text)
        }
    }
}
