import ArgumentParser
import CkptKit

extension Ckpt.ManifestCommand {
    /// Writes the `ckpt.release/1` manifest of the bundle folder `release`.
    func runRelease(_ release: String) throws {
        let dir = try HubCache.locate(release).path
        let work = ReleaseBundle.workBytes(dir)
        let bar = ProgressBar(label: "hashing")
        defer { bar.finish() }
        let manifest = try ReleaseBundle.manifest(dir, threads: threads ?? Terminal.threads(forBytes: work),
                                                  progress: bar.counter(total: work))
        bar.finish()
        let inputs = manifest.files.compactMap { FileIdentity.of(path: dir + "/" + $0.name) }
        guard let output = try emit(manifest.json, protecting: inputs) else { return }
        print("wrote \(output): \(manifest.files.count) files, \(manifest.parts.count) checkpoints (\(manifest.parts.map(\.0.rawValue).joined(separator: ", ")))")
    }

    /// Prints `json` to standard output, or with `-o` writes it atomically (never over an input) and
    /// returns the path written.
    func emit(_ json: JSONValue, protecting inputs: [FileIdentity]) throws -> String? {
        let text = JSONWriter.pretty(json) + "\n"
        guard let output else { print(text, terminator: ""); return nil }
        let out = try AtomicOutput(destination: output, overwrite: force, protecting: inputs)
        do {
            try out.write(Array(text.utf8))
            try out.commit()
        } catch {
            out.abandon()
            throw error
        }
        return output
    }
}
