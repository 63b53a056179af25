#define _GNU_SOURCE
#include "ckpt_shims.h"
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

ssize_t ckpt_copy_file_range(int fd_in, int64_t *off_in, int fd_out, size_t len) {
#if defined(__linux__)
    loff_t off = (loff_t)*off_in;
    ssize_t n = copy_file_range(fd_in, &off, fd_out, NULL, len, 0);
    *off_in = (int64_t)off;
    return n;
#else
    (void)fd_in; (void)off_in; (void)fd_out; (void)len;
    errno = ENOSYS;
    return -1;
#endif
}

int ckpt_start_writeback(int fd, int64_t offset, int64_t count) {
#if defined(__linux__)
    return sync_file_range(fd, (off64_t)offset, (off64_t)count, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd; (void)offset; (void)count;
    return 0;
#endif
}
