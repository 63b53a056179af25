#define _GNU_SOURCE
#include "ckpt_measure.h"
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int ckpt_measure_run(const char *const argv[], const char *stdout_path, const char *stderr_path,
                     long *maxrss_kib) {
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int out = open(stdout_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int err = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int code = -1;
    if (in >= 0 && out >= 0 && err >= 0) {
        pid_t pid = fork();
        if (pid == 0) {
            dup2(in, 0); dup2(out, 1); dup2(err, 2);
            execv(argv[0], (char *const *)argv);
            _exit(127);
        }
        int status;
        struct rusage ru;
        if (pid > 0 && wait4(pid, &status, 0, &ru) == pid) {
            code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            *maxrss_kib = ru.ru_maxrss;
        }
    }
    if (in >= 0) close(in);
    if (out >= 0) close(out);
    if (err >= 0) close(err);
    return code;
}
