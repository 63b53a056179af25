import CkptKit
#if canImport(Glibc)
import Glibc
#endif

/// The process-wide signal set-up of the `ckpt` tool, made once before any command runs. The
/// library installs no handler for these signals (only its `SIGBUS` guard, `SIGBUSGuard`); it lists the
/// temporary files of outputs in progress in `PendingOutputs`, and the handlers here remove them.
enum Signals {
    static func install() {
        // Past RLIMIT_FSIZE the kernel would kill us with SIGXFSZ, leaving the temporary output
        // behind; ignored, write(2) fails with EFBIG and the writer reports it and cleans up.
        signal(SIGXFSZ, SIG_IGN)
        // Interrupted: remove partial outputs, then die of the same signal so the parent sees it.
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig) { received in
                PendingOutputs.removeAll()
                signal(received, SIG_DFL)
                raise(received)
            }
        }
    }
}
