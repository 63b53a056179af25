import CCkptShims
#if canImport(Glibc)
import Glibc
#endif

/// A pipe with a 1 MiB buffer through which the writer moves file ranges with splice(2).
///
/// `copy_file_range` moves its data through a 64 KiB pipe of the kernel's own. When a write lands at
/// another offset within its pages than it was read from, as every tensor of a converted layout does,
/// each 64 KiB step starts and ends mid-folio and the page cache fills small folios: converting the
/// 346 MB RAD-DINO file spent 1.5× `cp`'s CPU in the kernel. In 1 MiB steps the same shifted copy runs
/// at `cp`'s speed (bench/README, "Full run (2026-12-02)").
package final class SplicePipe {
    /// Bytes the pipe holds: one step of the copy.
    static let capacity = 1 << 20

    private var fds: [Int32] = [-1, -1]

    /// nil when the pipe cannot be made or given `capacity` (not Linux, a lower
    /// /proc/sys/fs/pipe-max-size, or the user's pipe-buffer quota spent); the writer then uses
    /// `copy_file_range`.
    package init?() {
        guard ckpt_splice_pipe_open(&fds, Self.capacity) == 0 else { return nil }
    }

    deinit {
        for fd in fds where fd >= 0 { close(fd) }
    }

    /// Moves up to `count` bytes from `input` at `offset` (advanced by what was written) to `output`
    /// at its file position. Returns the bytes written, 0 at the end of `input`, or -1 with errno set
    /// when nothing was written: `copy_file_range`'s contract.
    package func copy(from input: Int32, offset: inout Int64, to output: Int32, count: Int) -> Int {
        ckpt_splice_copy(input, &offset, output, count, fds, Self.capacity)
    }
}
