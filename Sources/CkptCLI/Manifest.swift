import ArgumentParser
import CkptKit

extension Ckpt {
    struct ManifestCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "manifest",
            abstract: "Write a release manifest: per-tensor dtype, shape and SHA-256, file SHA-256, layout.",
            discussion: """
                The manifest (schema ckpt.manifest/1) pins a release down to its bytes; check a candidate \
                against it with `ckpt verify --manifest`. Hashing streams over the memory mapping and uses \
                both cores for large files.
                """)

        @Argument(help: "Checkpoint file or folder (or a Hub name ORG/NAME[@REVISION] in the local HF cache).")
        var path: String?

        @Option(name: .long, help: "Pin a whole release bundle folder instead (schema ckpt.release/1).")
        var release: String?

        @Option(name: .shortAndLong, help: "Manifest file to write (default: standard output).")
        var output: String?

        @Flag(name: .long, help: "Overwrite an existing output file.")
        var force = false

        @Option(name: .long, help: "Hashing threads (default: 2 for files of 64 MiB and more, else 1).")
        var threads: Int?

        func validate() throws {
            if (path == nil) == (release == nil) { throw ValidationError("give a checkpoint PATH or --release DIR (one of them)") }
            if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        }

        func run() throws {
            guard let path else { return try runRelease(release!) }
            let checkpoint = try Checkpoint.open(path)
            let detected = try? Layouts.detect(checkpoint)
            let work = Manifest.workBytes(checkpoint)
            let bar = ProgressBar(label: "hashing")
            defer { bar.finish() }
            let manifest = try Manifest.build(checkpoint, layout: detected?.json ?? .null,
                                              architecture: detected?.architecture?.summary ?? detected?.head?.summary,
                                              threads: threads ?? Terminal.threads(forBytes: work),
                                              progress: bar.counter(total: work))
            bar.finish()
            guard let output = try emit(manifest.json, protecting: checkpoint.fileIdentities) else { return }
            let files = manifest.files.map { "\($0.name) sha256 \($0.sha256)" }.joined(separator: "; ")
            print("wrote \(output): \(manifest.tensors.count) tensors, \(InspectReport.grouped(manifest.parameters)) parameters, \(files)")
        }
    }
}
