#if canImport(Glibc)
import Glibc
#endif

/// Files that appear in one folder together or not at all (an HF folder's weights, config and head).
package enum StagedFolder {
    /// One file of the folder: its name, and how to write it completely under a temporary name next to
    /// the destination path it is given (`SafetensorsWriter.stage`, or an `AtomicOutput` filled by hand).
    package typealias File = (name: String, stage: (_ path: String) throws -> AtomicOutput)

    /// Creates `dir` if needed, checks every destination before the first byte is written (exists
    /// without `overwrite`, is one of `inputs`, a link out of the folder), stages each file, then moves
    /// them all into place. A failure abandons every staged file and removes the folder if this call
    /// created it.
    package static func write(_ dir: String, files: [File], overwrite: Bool, protecting inputs: [FileIdentity]) throws {
        let created = try FileSystem.createDirectory(dir)
        var staged: [AtomicOutput] = []
        do {
            for file in files {
                try AtomicOutput.checkDestination(FileSystem.join(dir, file.name), overwrite: overwrite, protecting: inputs)
            }
            for file in files { staged.append(try file.stage(FileSystem.join(dir, file.name))) }
            for output in staged { try output.commit() }
        } catch {
            for output in staged { output.abandon() }
            if created { rmdir(dir) }
            throw error
        }
    }
}
