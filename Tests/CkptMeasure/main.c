/* ckpt-measure: runs one command and reports its wall time and peak RSS, from a process small enough not
 * to inflate it. Used by bench/bench.py and by the tests that bound ckpt's memory (HostileImageTests).
 *
 *   measure [--address-space-mib N] STDOUT_FILE STDERR_FILE COMMAND [ARGS...]
 *       -> "<wall seconds> <peak RSS KiB> <exit code>"
 *
 * --address-space-mib caps the command's virtual memory (RLIMIT_AS): an allocation a hostile file asks for
 * then fails even where overcommit would hand it out untouched (and unseen by the peak RSS).
 *
 * Why not spawn from the Python driver: on exec Linux folds the old address space's high-water RSS into
 * the child's ru_maxrss, and a vfork/posix_spawn child starts in the driver's (about 18 MiB; a test process:
 * hundreds) address space; a plain fork of the driver copies it.
 * Forked from here, the floor is this program's own ~1 MiB. Wall time is CLOCK_MONOTONIC around fork..wait4. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    long address_space_mib = 0;
    if (argc > 2 && strcmp(argv[1], "--address-space-mib") == 0) {
        address_space_mib = strtol(argv[2], NULL, 10);
        argv += 2;
        argc -= 2;
    }
    if (argc < 4 || address_space_mib < 0) {
        fprintf(stderr, "usage: measure [--address-space-mib N] STDOUT STDERR COMMAND [ARGS...]\n");
        return 64;
    }
    int in = open("/dev/null", O_RDONLY);
    int out = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0) { perror("measure: open"); return 2; }
    double start = now();
    pid_t pid = fork();
    if (pid < 0) { perror("measure: fork"); return 2; }
    if (pid == 0) {
        dup2(in, 0); dup2(out, 1); dup2(err, 2);
        if (address_space_mib > 0) {
            struct rlimit limit = {(rlim_t)address_space_mib << 20, (rlim_t)address_space_mib << 20};
            if (setrlimit(RLIMIT_AS, &limit) != 0) { perror("measure: setrlimit"); _exit(127); }
        }
        execvp(argv[3], argv + 3);
        perror("measure: exec");
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) { perror("measure: wait4"); return 2; }
    double wall = now() - start;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    printf("%.6f %ld %d\n", wall, ru.ru_maxrss, code);
    return 0;
}
