#if canImport(Glibc)
import Glibc
#endif

/// Files that appear together or not at all: an HF folder's weights, config and head, or a release's
/// backbone and head in two places.
package enum StagedOutputs {
    /// One file: its destination, and how to write it completely under a temporary name next to that
    /// destination (`SafetensorsWriter.stage`, or an `AtomicOutput` filled by hand).
    package typealias File = (destination: String, stage: (_ path: String) throws -> AtomicOutput)

    /// Checks every destination before the first byte is written (exists without `overwrite`, is one of
    /// `inputs`, a folder, a link out of its folder), stages and syncs each file, then moves them all into
    /// place. A failure abandons every staged file; a move that fails after others succeeded takes back the
    /// ones that were linked into place (without `overwrite`: nothing was there). With `overwrite` the files
    /// already renamed over their old versions stay: only a failing `rename(2)` of an already checked
    /// destination gets there.
    package static func write(_ files: [File], overwrite: Bool, protecting inputs: [FileIdentity]) throws {
        var staged: [AtomicOutput] = []
        var published: [AtomicOutput] = []
        do {
            for file in files {
                try AtomicOutput.checkDestination(file.destination, overwrite: overwrite, protecting: inputs)
            }
            for file in files { staged.append(try file.stage(file.destination)) }
            for output in staged { try output.sync() }
            for output in staged {
                try output.publish()
                published.append(output)
            }
        } catch {
            for output in published where output.publishesByLink { output.unpublish() }
            for output in staged { output.abandon() }
            throw error
        }
    }

    /// `write` into the folder `dir` (`files` named relative to it, `alongside` by their own paths), created if
    /// needed; a failure removes the folder again if this call created it.
    package static func write(folder dir: String, files: [File], overwrite: Bool, protecting inputs: [FileIdentity],
                              alongside: [File] = []) throws {
        let created = try FileSystem.createDirectory(dir)
        do {
            try write(files.map { (FileSystem.join(dir, $0.destination), $0.stage) } + alongside, overwrite: overwrite,
                      protecting: inputs)
        } catch {
            if created { rmdir(dir) }
            throw error
        }
    }
}
