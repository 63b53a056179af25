#ifndef CKPT_SIGBUS_H
#define CKPT_SIGBUS_H
#include <stddef.h>

/// SIGBUS guard for read-only file mappings (see docs/hardening-sigbus.md).
///
/// Touching a page of a MAP_SHARED file mapping that lies past the file's current end raises SIGBUS.
/// A registered mapping is watched by a process-wide SIGBUS handler: a fault whose address lies inside
/// it is absorbed by mapping anonymous zero pages (MAP_FIXED) from the faulting page to the end of the
/// mapping, recording the fault, and returning, so the faulting load re-runs and reads zeros. The
/// reader checks `ckpt_sigbus_faulted` when its lend ends and reports the change instead of using the
/// zeros. Faults anywhere else go to the handler that was installed before, or kill the process with
/// SIGBUS as if no handler existed.

/// Watches `[start, start + length)`; installs the handler on first use. Returns a slot (≥ 0) to pass
/// to the other calls, or -1 when every slot is taken (the mapping is then unguarded).
int ckpt_sigbus_register(const void *start, size_t length);

/// Stops watching `slot` (call before munmap). A negative slot is ignored.
void ckpt_sigbus_unregister(int slot);

/// 1 when a fault inside `slot`'s range was absorbed (its tail now reads zeros), else 0.
int ckpt_sigbus_faulted(int slot);

/// Faults absorbed in the whole process so far (for tests and diagnostics).
unsigned long ckpt_sigbus_absorbed_count(void);

/// Opts the process out before the first registration: the handler is then never installed and every
/// later `ckpt_sigbus_register` returns -1. Returns 1 when that holds, 0 when the handler was already
/// installed (opting out is only possible before it is).
int ckpt_sigbus_opt_out(void);
#endif
