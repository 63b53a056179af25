import CCkptShims

/// A mapping's registration with the process-wide SIGBUS guard (`ckpt_sigbus.c`): a fault inside it
/// — a page past the end of a file that shrank after it was mapped — is absorbed instead of killing
/// the process, and `faulted` turns true. Owned by `MappedFile`, which checks `faulted` after each
/// lend; docs/hardening.md says why this and not `pread` into owned buffers.
final class MappingGuard: @unchecked Sendable {  // The slot is only read after init; the C table is locked/atomic.
    private let slot: Int32

    /// Watches `count` bytes from `base`. When the guard table is full the mapping stays unguarded
    /// (every lend still checks the size first), which `isActive` reports.
    init(_ base: UnsafeRawPointer, count: Int) {
        slot = ckpt_sigbus_register(base, count)
    }

    /// Whether the mapping is watched.
    var isActive: Bool { slot >= 0 }

    /// A fault inside the mapping has been absorbed: from the faulting page on it reads zeros.
    var faulted: Bool { ckpt_sigbus_faulted(slot) != 0 }

    /// Stops watching; call before the mapping is unmapped.
    func release() { ckpt_sigbus_unregister(slot) }

    /// Faults absorbed in this process so far.
    static var absorbedCount: UInt { UInt(ckpt_sigbus_absorbed_count()) }
}

/// The process-wide SIGBUS handler that keeps a file shrinking under a mapping from killing the process.
///
/// On the first file CkptKit maps, it installs one `SIGBUS` handler for the whole process (`sigaction`, with
/// `SA_ONSTACK`). A fault inside a mapping CkptKit owns is absorbed: the rest of that mapping reads zeros and
/// the read that saw it throws `CkptError.inputResized` (the zeros are never used). A fault anywhere else goes
/// to the handler that was installed before, or, if there was none, kills the process as if no handler
/// existed. An application that owns `SIGBUS` itself calls `optOut()` before opening any file: CkptKit then
/// installs nothing, and a file truncated while it is being read raises `SIGBUS` in the application (every
/// read still checks the file's size first, so only a truncation during that read gets through).
public enum SIGBUSGuard {
    /// Opts this process out of the handler. Returns false when it is already installed (a file was mapped
    /// before the call), true when it never will be.
    @discardableResult
    public static func optOut() -> Bool { ckpt_sigbus_opt_out() == 1 }
}
