#!/usr/bin/env bash
# Makes .venv hold the pinned numpy + safetensors + pydicom-data of scripts/requirements-interop.txt (nothing else),
# creating it when missing. Prints the interpreter path.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! .venv/bin/python -c "import numpy, safetensors, data_store" >/dev/null 2>&1; then
    python3 -m venv .venv >&2
    .venv/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements-interop.txt >&2
fi
echo "$PWD/.venv/bin/python"
