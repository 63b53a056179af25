#ifndef CKPT_SHIMS_H
#define CKPT_SHIMS_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/// copy_file_range(2), which needs _GNU_SOURCE and so is not visible to Swift's Glibc module.
/// Copies from fd_in at *off_in (advanced) to fd_out at its file position.
ssize_t ckpt_copy_file_range(int fd_in, int64_t *off_in, int fd_out, size_t len);

/// sync_file_range(fd, offset, count, SYNC_FILE_RANGE_WRITE): starts writeback of that range without
/// waiting for it (Linux; a no-op returning 0 elsewhere). Lets the final fsync overlap the copy.
int ckpt_start_writeback(int fd, int64_t offset, int64_t count);
#endif
