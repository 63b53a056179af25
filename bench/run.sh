#!/usr/bin/env bash
# The benchmark in one command: bench/run.sh [bench.py options, e.g. --quick]
#
# Builds ckpt in release mode with the Swift runtime linked in (--static-swift-stdlib, in .build-static:
# the way README installs it; it starts in about half the time of a binary that loads the Swift shared
# libraries), finds or makes the peers' Python (BENCH_PYTHON, else a venv in
# bench/work/venv from golden/requirements.txt), then runs bench/bench.py, which writes
# bench/results.md and bench/results.json.
#
#   BENCH_PYTHON=/opt/ckpt-venv/bin/python bench/run.sh          # reuse a Python that has the pins
#   bench/run.sh --only inspect,convert --runs 3                  # a subset
#   bench/run.sh --quick                                          # ViT-S, 2 runs: checks the harness
set -euo pipefail
cd "$(dirname "$0")/.."
export GOLDEN_DIR="${GOLDEN_DIR:-$PWD/golden}"
[ -f "$GOLDEN_DIR/gen/synth.py" ] || { echo "bench: $GOLDEN_DIR/gen/synth.py not found (set GOLDEN_DIR)" >&2; exit 2; }

build=(swift build -c release --static-swift-stdlib --disable-local-rpath --scratch-path .build-static)
"${build[@]}" --product ckpt >&2
ckpt="$("${build[@]}" --show-bin-path)/ckpt"

py="${BENCH_PYTHON:-}"
if [ -z "$py" ]; then
  venv=bench/work/venv
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q -r "$GOLDEN_DIR/requirements.txt"
    "$venv/bin/pip" install -q --no-deps dinov2==0.0.1.dev2
  fi
  py="$venv/bin/python"
fi

args=()
for a in "$@"; do
  if [ "$a" = --quick ]; then
    args+=(--arch vits14 --runs 2 --warmup 1 --batches 1 --scaling vits14 --out bench/work/quick)
  else
    args+=("$a")
  fi
done
exec python3 bench/bench.py --ckpt "$ckpt" --python "$py" "${args[@]}"
