#!/usr/bin/env python3
"""Peak RSS of `ckpt inspect` and `ckpt verify --strict` on every memory case of the hostile corpus
(issue 14, item 4; the cases are defined in scripts/make_hostile_corpus.py), measured by ckpt-measure
(Tests/CkptMeasure: forks ckpt from its own ~1 MiB address space and reads wait4's ru_maxrss).

    python3 scripts/hostile_memory_inputs.py [BUILD_DIR [NAME_PART]]   default BUILD_DIR: .build/debug

Prints one line per case and command: peak RSS, exit code, the bound (64 MiB plus what the command
printed) and the error. HostileMemoryTests asserts the same in `swift test`; this script is for the
numbers in docs/hardening.md. Writes the inputs (about 230 MB) to a temporary folder it removes.
"""
import json, os, shutil, subprocess, sys, tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import make_hostile_corpus as corpus  # noqa: E402

build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "debug")
only = sys.argv[2] if len(sys.argv) > 2 else ""
ckpt, measure = os.path.join(build, "ckpt"), os.path.join(build, "ckpt-measure")
work = tempfile.mkdtemp(prefix="ckpt-memory-")
try:
    corpus.MEMORY[:] = [m for m in corpus.MEMORY if only in m[0]]
    corpus.write_memory_cases(work)
    for name, _, expect, why, committed in corpus.MEMORY:
        path = os.path.join(corpus.ROOT if committed else work, name)
        for command in (["inspect"], ["verify", "--strict"]):
            out, err = os.path.join(work, "stdout"), os.path.join(work, "stderr")
            line = subprocess.run([measure, out, err, ckpt, *command, path], capture_output=True, text=True, check=True).stdout
            _, rss_kib, code = line.split()
            printed = os.path.getsize(out) + os.path.getsize(err)
            bound = 64 * 1024 + printed // 1024
            message = open(err, errors="replace").read().strip().splitlines()
            message = message[-1] if message else "(no message)"
            verdict = "ok  " if int(rss_kib) <= bound else "OVER"
            print(f"{verdict} {int(rss_kib) / 1024:7.1f} MiB  exit {code:>3}  {' '.join(command):15} {name}: {message[:140]}")
finally:
    shutil.rmtree(work)
