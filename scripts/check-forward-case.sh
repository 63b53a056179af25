#!/usr/bin/env bash
# The sign-off path end to end, outside the unit tests (it needs Python with torch and transformers):
# `golden/generate.py forward-case --images` on two bundled images with the tiny release bundle
# (golden/hub), in a temporary folder, then `ckpt verify --release … --golden` on the new case.
# Usage: PYTHON=/path/to/python scripts/check-forward-case.sh   (default: .venv/bin/python; a
# different torch/transformers/Pillow than golden/requirements.txt pins gives warnings, not a failure)
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-.venv/bin/python}"
bundle=golden/hub/cache/models--ckpt-golden--tiny-release/snapshots/ed5b701be0e5fa5b0d643ff6a84642f64b4b05ba
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
swift build --product ckpt >/dev/null
"$python" golden/generate.py forward-case --weights "$bundle" --layout hf --head "$bundle/dino_head.safetensors" \
    --images golden/images/inputs/camera.png golden/images/inputs/rocket.jpg --out "$work/case" >/dev/null
.build/debug/ckpt verify --strict --release "$bundle" --golden "$work/case"
echo "check-forward-case: ok"
