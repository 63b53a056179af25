import ArgumentParser
import CkptKit

extension Ckpt.Verify {
    /// `--release DIR` takes the place of PATH; the flags that describe one checkpoint do not apply.
    func validateRelease() throws {
        if (path == nil) == (release == nil) { throw ValidationError("give a checkpoint PATH or --release DIR (one of them)") }
        guard release != nil else { return }
        if like != nil || layout != nil || dtype != nil || imageSize != nil {
            throw ValidationError("--like, --layout, --dtype and --image-size check one checkpoint; --release checks each part against its own layout")
        }
        if let expect, expect != "raddino" { throw ValidationError("--release takes --expect raddino (each part against its RAD-DINO spec) or no --expect") }
    }

    /// Verifies a release bundle: one human report or one `ckpt.verify-release/1` document; exit 0/1/2.
    func runRelease(_ release: String) throws {
        let (dir, snapshot) = try HubCache.locate(release)
        let signed = try manifest.map { (try ReleaseManifest.load($0), path: $0) }
        let work = ReleaseBundle.workBytes(dir) * (signed != nil ? 2 : 1)
        let bar = ProgressBar(label: signed != nil ? "verifying + hashing" : "verifying")
        defer { bar.finish() }
        let options = ReleaseVerifier.Options(
            raddino: expect == "raddino", strict: strict, manifest: signed,
            golden: golden.map { StrictVerifier.Golden(directory: $0, atol: atol, rtol: rtol) },
            threads: threads ?? Terminal.threads(forBytes: work), progress: bar.counter(total: work))
        var report = try ReleaseVerifier.verify(dir, options: options)
        // A Hub name is reported as given, with the commit it resolved to.
        if let snapshot { report.path = "\(release) (snapshot \(snapshot.commit))" }
        bar.finish()
        print(json ? JSONWriter.pretty(report.json) : report.text(color: Terminal.color))
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
