#ifndef CKPT_SHIMS_H
#define CKPT_SHIMS_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/// copy_file_range(2), which needs _GNU_SOURCE and so is not visible to Swift's Glibc module.
/// Copies from fd_in at *off_in (advanced) to fd_out at its file position.
ssize_t ckpt_copy_file_range(int fd_in, int64_t *off_in, int fd_out, size_t len);

/// Makes a pipe (fds[0] read end, fds[1] write end, both close-on-exec) whose buffer holds at least
/// `capacity` bytes. Returns 0, or -1 with errno and both fds set to -1 (nothing left open): Linux only.
int ckpt_splice_pipe_open(int fds[2], size_t capacity);

/// Moves up to `len` bytes from fd_in at *off_in (advanced) to fd_out at its file position through
/// the pipe `fds` of `capacity` bytes (splice(2) in, splice out): copy_file_range's contract, with
/// the kernel's steps as large as the pipe. Returns the bytes written to fd_out, 0 at the end of
/// fd_in, or -1 with errno when nothing was written. The pipe is empty again on every return: bytes
/// read but not written are dropped and *off_in counts only what was written.
ssize_t ckpt_splice_copy(int fd_in, int64_t *off_in, int fd_out, size_t len, const int fds[2], size_t capacity);

/// sync_file_range(fd, offset, count, SYNC_FILE_RANGE_WRITE): starts writeback of that range without
/// waiting for it (Linux; a no-op returning 0 elsewhere). Lets the final fsync overlap the copy.
int ckpt_start_writeback(int fd, int64_t offset, int64_t count);

/// A fixed table of temporary paths to remove if the process is interrupted. Register and release
/// may run on any thread at once; `ckpt_cleanup_unlink_all` is async-signal-safe (atomics and
/// unlink(2) only), for a signal handler. Each slot's state moves free → writing → ready (register),
/// ready → free (release) or ready → unlinking (the handler), by compare-and-swap, so the handler
/// never reads a path that is being written or reused.
enum { CKPT_CLEANUP_SLOTS = 64, CKPT_CLEANUP_PATH_MAX = 4096 };

/// Records `path`; returns its slot, or -1 when the path is too long or every slot is taken (the
/// file is then simply not removed on a signal).
int ckpt_cleanup_register(const char *path);

/// Forgets the path in `slot` (from `ckpt_cleanup_register`) without touching the file.
void ckpt_cleanup_release(int slot);

/// Unlinks every registered path. Async-signal-safe.
void ckpt_cleanup_unlink_all(void);
#endif
