import ArgumentParser
import CkptKit

/// `--dtype F32` (any case): the one dtype of a release.
struct DTypeArgument: ExpressibleByArgument {
    let dtype: DType

    init?(argument: String) {
        guard let d = DType(rawValue: argument.uppercased()) else { return nil }
        dtype = d
    }

    static var allValueStrings: [String] { DType.allCases.map(\.rawValue) }
}

extension Ckpt {
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check a release: keys, shapes, dtypes, non-finite values, and bytes against a manifest.",
            discussion: """
                Reports every problem at once: missing and unexpected keys (with a diagnosis for near \
                misses), shape and dtype mismatches, NaN/Inf, and warnings for all-zero and duplicated \
                tensors. The expectation is a named spec (--expect), another checkpoint (--like, mapped \
                across layouts), or the architecture detected in PATH. Specs: \
                \(ExpectationSpec.names.joined(separator: ", ")).
                Exit codes: 0 pass, 1 problems found, 2 unreadable input, 64 usage error.
                """)

        @Argument(help: "Checkpoint file or folder to check (or a Hub name ORG/NAME[@REVISION] in the local HF cache).")
        var path: String?

        @Option(name: .long, help: "Check a release bundle folder as one thing (instead of PATH); --manifest is then a release manifest.")
        var release: String?

        @Flag(name: .long, help: "Unexpected keys and dtype mismatches are errors, not warnings (use this in CI).")
        var strict = false

        @Option(name: .long, help: "Expected model: raddino, raddino-head, dinov2-vit{s,b,l,g}14[-reg4].")
        var expect: String?

        @Option(name: .long, help: "Native image size of a dinov2-* spec (default 518).")
        var imageSize: Int?

        @Option(name: .long, help: "Take the expectation from this checkpoint (mapped into PATH's layout).")
        var like: String?

        @Option(name: .long, help: "Require this backbone layout (default: any).")
        var layout: BackboneLayoutChoice?

        @Option(name: .long, help: "The release's one dtype, e.g. F32 (default: the dtype most tensors have).")
        var dtype: DTypeArgument?

        @Option(name: .long, help: "Signed-off manifest (ckpt manifest): every byte must match.")
        var manifest: String?

        @Option(name: .long, help: "Golden forward case folder (golden/forward/<case>): the weights must reproduce its outputs.")
        var golden: String?

        @Option(name: .long, help: "Absolute tolerance for --golden (default: the case's own).")
        var atol: Double?

        @Option(name: .long, help: "Relative tolerance for --golden (default: the case's own).")
        var rtol: Double?

        @Option(name: .long, help: "Threads for hashing and the forward pass (default: 2 for 64 MiB and more).")
        var threads: Int?

        @Flag(name: .long, help: "Print the report as JSON (schema ckpt.verify/1).")
        var json = false

        func validate() throws {
            try validateRelease()
            if expect != nil, like != nil { throw ValidationError("--expect and --like are exclusive: give one expectation") }
            if let expect, ExpectationSpec.parse(expect, imageSize: imageSize) == nil {
                if ExpectationSpec.parse(expect) != nil {
                    throw ValidationError("--image-size \(imageSize!) does not apply to --expect \(expect) (RAD-DINO specs are fixed; dinov2-* sizes are multiples of 14)")
                }
                throw ValidationError("unknown --expect \"\(expect)\"; known: \(ExpectationSpec.names.joined(separator: ", "))")
            }
            if imageSize != nil, expect == nil { throw ValidationError("--image-size needs --expect dinov2-…") }
            if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
            if golden == nil, atol != nil || rtol != nil { throw ValidationError("--atol and --rtol apply to --golden") }
            for (flag, value) in [("--atol", atol), ("--rtol", rtol)] {
                if let value, !(value >= 0 && value.isFinite) { throw ValidationError("\(flag) must be a finite number ≥ 0") }
            }
        }

        func run() throws {
            guard let path else { return try runRelease(release!) }
            let checkpoint = try Checkpoint.open(path)
            var expectation = StrictVerifier.Expect.detected
            if let expect { expectation = .spec(ExpectationSpec.parse(expect, imageSize: imageSize)!) }
            if let like { expectation = .like(try Checkpoint.open(like)) }
            let signed = try manifest.map { (try Manifest.load($0), path: $0) }
            let work = StrictVerifier.workBytes(checkpoint, manifest: signed != nil)
            let bar = ProgressBar(label: signed != nil ? "verifying + hashing" : "verifying")
            defer { bar.finish() }
            let options = StrictVerifier.Options(
                expect: expectation, layout: layout?.kind, strict: strict, dtype: dtype?.dtype, manifest: signed,
                golden: golden.map { StrictVerifier.Golden(directory: $0, atol: atol, rtol: rtol) },
                threads: threads ?? Terminal.threads(forBytes: work), progress: bar.counter(total: work))
            let report = try StrictVerifier.verify(checkpoint, options: options)
            bar.finish()
            print(json ? JSONWriter.pretty(report.json) : report.text(color: Terminal.color))
            if !report.passed { throw ExitCode(1) }
        }
    }
}
