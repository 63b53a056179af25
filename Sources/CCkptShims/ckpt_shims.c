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

int ckpt_splice_pipe_open(int fds[2], size_t capacity) {
#if defined(__linux__)
    if (pipe2(fds, O_CLOEXEC) != 0) { fds[0] = fds[1] = -1; return -1; }
    int got = fcntl(fds[1], F_SETPIPE_SZ, (int)capacity);
    if (got >= 0 && (size_t)got >= capacity) return 0;
    int e = got < 0 ? errno : EMSGSIZE;
    close(fds[0]);
    close(fds[1]);
    fds[0] = fds[1] = -1;
    errno = e;
    return -1;
#else
    fds[0] = fds[1] = -1;
    (void)capacity;
    errno = ENOSYS;
    return -1;
#endif
}

#if defined(__linux__)
// Empties the pipe of `count` bytes that splice moved in but not out.
static void drop_from_pipe(int read_end, size_t count) {
    char scratch[16384];
    while (count > 0) {
        ssize_t n = read(read_end, scratch, count < sizeof scratch ? count : sizeof scratch);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        count -= (size_t)n;
    }
}
#endif

ssize_t ckpt_splice_copy(int fd_in, int64_t *off_in, int fd_out, size_t len, const int fds[2], size_t capacity) {
#if defined(__linux__)
    size_t written = 0;
    while (written < len) {
        size_t want = len - written < capacity ? len - written : capacity;
        loff_t off = (loff_t)*off_in;
        ssize_t in = splice(fd_in, &off, fds[1], NULL, want, 0);
        if (in == 0) break;  // end of fd_in
        if (in < 0) {
            if (written > 0) break;  // report what was written; the error comes back on the next call
            return -1;
        }
        size_t moved = 0;
        int error = 0;
        while (moved < (size_t)in) {
            ssize_t out = splice(fds[0], NULL, fd_out, NULL, (size_t)in - moved, 0);
            if (out > 0) { moved += (size_t)out; continue; }
            if (out < 0 && errno == EINTR) continue;
            error = out < 0 ? errno : EIO;
            break;
        }
        *off_in += (int64_t)moved;
        written += moved;
        if (error) {
            drop_from_pipe(fds[0], (size_t)in - moved);
            if (written > 0) break;
            errno = error;
            return -1;
        }
    }
    return (ssize_t)written;
#else
    (void)fd_in; (void)off_in; (void)fd_out; (void)len; (void)fds; (void)capacity;
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
