#ifndef CKPT_SHIMS_H
#define CKPT_SHIMS_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/// copy_file_range(2), which needs _GNU_SOURCE and so is not visible to Swift's Glibc module.
/// Copies from fd_in at *off_in (advanced) to fd_out at its file position.
ssize_t ckpt_copy_file_range(int fd_in, int64_t *off_in, int fd_out, size_t len);
#endif
