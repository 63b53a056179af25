#ifndef CKPT_MEASURE_H
#define CKPT_MEASURE_H

/// Runs argv[0] (a path) with argv, stdin from /dev/null and stdout/stderr into the given files, and
/// waits for it. Returns the exit code (128 + signal when killed, -1 when it could not be started)
/// and stores the child's peak RSS in KiB (wait4's ru_maxrss) in *maxrss_kib.
///
/// It forks rather than posix_spawn/vfork: on exec Linux folds the old address space's high-water RSS
/// into the child's ru_maxrss, and a vfork child starts in the test process's (large) address space.
/// The forked child only calls async-signal-safe functions before exec.
int ckpt_measure_run(const char *const argv[], const char *stdout_path, const char *stderr_path,
                     long *maxrss_kib);

#endif
