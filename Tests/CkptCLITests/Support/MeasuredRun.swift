import CkptTestSupport
import Foundation
import XCTest

/// One run of ckpt under `ckpt-measure` (Tests/CkptMeasure, built next to ckpt): its exit code, its own
/// peak RSS and what it printed. ckpt-measure forks ckpt from its own small address space: spawned from
/// the (large) test process directly, Linux would fold the test's high-water RSS into the child's.
struct MeasuredRun {
    let code: Int32
    let maxRSSKiB: Int
    let stdout: String
    let stderr: String
    /// Bytes written to stdout and stderr: the command's legitimate output.
    let printedBytes: Int

    /// Runs `ckpt arguments…`, with its output in files of `scratch`; `addressSpaceMiB` caps its virtual
    /// memory (not under a sanitizer, whose shadow memory alone is terabytes of address space).
    static func run(_ arguments: [String], in scratch: TemporaryDirectory, timeout: TimeInterval = 120,
                    addressSpaceMiB: Int? = nil) throws -> MeasuredRun {
        let measure = URL(fileURLWithPath: CkptProcess.executable).deletingLastPathComponent().path + "/ckpt-measure"
        let stdoutPath = scratch.file("stdout.txt"), stderrPath = scratch.file("stderr.txt")
        let sanitized = [".build-asan", ".build-tsan"].contains { CkptProcess.executable.contains($0) }
        let limit = addressSpaceMiB.map { sanitized ? [] : ["--address-space-mib", String($0)] } ?? []
        let wrapper = [measure] + limit + [stdoutPath, stderrPath]
        let run = try CkptProcess.run(arguments, wrapper: wrapper, timeout: timeout)
        let fields = run.stdout.split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
        guard run.status == 0, fields.count == 3, let rss = Int(fields[1]), let code = Int32(fields[2]) else {
            XCTFail("ckpt-measure failed: \(run.summary) \(run.stderr)")
            return MeasuredRun(code: -1, maxRSSKiB: 0, stdout: "", stderr: "", printedBytes: 0)
        }
        let out = (try? Data(contentsOf: URL(fileURLWithPath: stdoutPath))) ?? Data()
        let err = (try? Data(contentsOf: URL(fileURLWithPath: stderrPath))) ?? Data()
        return MeasuredRun(code: code, maxRSSKiB: rss, stdout: String(decoding: out, as: UTF8.self),
                           stderr: String(decoding: err, as: UTF8.self), printedBytes: out.count + err.count)
    }
}
