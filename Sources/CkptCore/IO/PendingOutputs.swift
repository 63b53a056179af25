import CCkptShims

/// The temporary files of outputs being written, for a signal handler to remove.
///
/// Writers register each temporary file while it exists and release it once it is renamed into
/// place or removed. The library installs no handler for these signals (only its `SIGBUS` guard,
/// `SIGBUSGuard`): a program that wants interrupted
/// writes cleaned up calls `removeAll()` from its own SIGINT/SIGTERM/SIGHUP handler (the `ckpt`
/// tool does). Registration is thread-safe; `removeAll()` is async-signal-safe (it only reads
/// a fixed table with atomics and calls `unlink`).
public enum PendingOutputs {
    /// Unlinks every registered temporary file. Safe to call from a signal handler.
    public static func removeAll() { ckpt_cleanup_unlink_all() }

    /// Records `path`; nil when the path is longer than the table holds or the table is full (the
    /// file is then only removed by the writer itself, not on a signal).
    static func register(_ path: String) -> Int32? {
        let slot = ckpt_cleanup_register(path)
        return slot >= 0 ? slot : nil
    }

    /// Forgets a registration; the file itself is left alone.
    static func release(_ slot: Int32) { ckpt_cleanup_release(slot) }
}
