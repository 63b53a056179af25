#!/usr/bin/env bash
# The test command (README "Try it, test it"; .ci/run runs exactly this):
#   1. swift test — every Swift test; the tests copy each file ckpt's writer produced into a scratch
#      folder ($CKPT_INTEROP_DIR) with the arrays they expect;
#   2. scripts/interop_safetensors.py — Python `safetensors` (numpy backend) reads every one of those
#      files and must find identical arrays.
# Extra arguments go to swift test (e.g. --filter SafetensorsHostileTests).
set -euo pipefail
cd "$(dirname "$0")/.."
python=$(scripts/python-env.sh)
interop=$(mktemp -d "${TMPDIR:-/tmp}/ckpt-interop-XXXXXX")
trap 'rm -rf "$interop"' EXIT
CKPT_INTEROP_DIR="$interop" swift test "$@"
"$python" scripts/interop_safetensors.py "$interop"
