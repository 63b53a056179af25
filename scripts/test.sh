#!/usr/bin/env bash
# The test command (README "Try it, test it"; .ci/run runs exactly this):
#   1. swift test — every Swift test; the tests copy each file ckpt's writer produced into a scratch
#      folder ($CKPT_INTEROP_DIR) with the arrays they expect;
#      the DICOM tests read pydicom-data's full-size radiographs from the same .venv ($CKPT_PYDICOM_DATA);
#   2. scripts/interop_safetensors.py — Python `safetensors` (numpy backend) reads every one of those
#      files and must find identical arrays.
# Extra arguments go to swift test (e.g. --filter SafetensorsHostileTests).
set -euo pipefail
cd "$(dirname "$0")/.."
python=$(scripts/python-env.sh)
interop=$(mktemp -d "${TMPDIR:-/tmp}/ckpt-interop-XXXXXX")
trap 'rm -rf "$interop"' EXIT
# pydicom-data's full-size NEMA radiographs, for the DICOM tests that read them.
pydicom_data=$("$python" -c 'import data_store, os; print(os.path.join(os.path.dirname(data_store.__file__), "data"))')
CKPT_PYDICOM_DATA=${CKPT_PYDICOM_DATA:-$pydicom_data} CKPT_INTEROP_DIR="$interop" swift test "$@"
"$python" scripts/interop_safetensors.py "$interop"
