import ArgumentParser
import CkptKit

extension Ckpt {
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "inspect",
            abstract: "List every tensor of a checkpoint with totals, metadata and source kind.",
            discussion: "PATH is a .safetensors file, a .safetensors.zst file, a Hugging Face folder (single file or sharded), or a torch.save .pth/.pt file (read without running its pickle; skipped entries are listed as notes). A DICOM file (recognised by its content, with or without a .dcm suffix) is described instead: size, bits, photometric interpretation, transfer syntax, rescale, window and geometry.")

        @Argument(help: "Checkpoint file or folder.")
        var path: String

        @Flag(name: .long, help: "Print the report as JSON (schema ckpt.inspect/1).")
        var json = false

        @Flag(name: .long, help: "DICOM only: decode the pixels too and report their range (exit 2 when they cannot be read).")
        var decode = false

        @Option(name: .long, help: "DICOM only, with --decode: refuse images whose header claims more pixels than this (default \(DICOMReader.defaultMaxPixels)).")
        var maxImagePixels: Int = DICOMReader.defaultMaxPixels

        func run() throws {
            // A checkpoint's name wins over content that happens to look like DICOM (`DICM` at byte 128
            // of a safetensors header, say).
            let checkpointName = [".safetensors", ".safetensors.zst", ".pth", ".pt"].contains { path.hasSuffix($0) }
            if !checkpointName && DICOMReader.looksLikeDICOM(path: path) {
                if decode {
                    let file = try DICOMReader.read(contentsOf: path, maxPixels: maxImagePixels)
                    print(json ? JSONWriter.pretty(file.json(path: path)) : file.report(path: path))
                } else {
                    let header = try DICOMReader.readHeader(contentsOf: path)
                    print(json ? JSONWriter.pretty(header.json(path: path)) : header.report(path: path))
                }
                return
            }
            var report = InspectReport(try Checkpoint.open(path))
            report.addLayoutSection()
            print(json ? JSONWriter.pretty(report.json) : report.text)
        }
    }
}
