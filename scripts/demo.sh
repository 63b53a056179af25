#!/usr/bin/env bash
# One command from a fresh clone to ckpt working on the bundled examples in golden/:
# installs the missing Debian packages, builds ckpt (release), inspects a sharded Hugging Face
# folder, merges it into one safetensors file and checks it is byte-identical to what
# transformers' save_pretrained wrote unsharded, then reads a .zst and casts it to bf16.
# CKPT_CONFIGURATION=debug reuses a debug build instead.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
configuration=${CKPT_CONFIGURATION:-release}
swift build -c "$configuration" --product ckpt
ckpt="$(swift build -c "$configuration" --show-bin-path)/ckpt"
work=$(mktemp -d "${TMPDIR:-/tmp}/ckpt-demo-XXXXXX")
trap 'rm -rf "$work"' EXIT
step() { printf '\n$ %s\n' "$*"; "$@"; }

step "$ckpt" inspect golden/safetensors/sharded
step "$ckpt" convert safetensors golden/safetensors/sharded -o "$work/model.safetensors"
step cmp "$work/model.safetensors" golden/safetensors/single/model.safetensors
echo "merged shards are byte-identical to golden/safetensors/single/model.safetensors"
step "$ckpt" inspect golden/safetensors/mixed.safetensors.zst
step "$ckpt" convert safetensors golden/safetensors/mixed.safetensors.zst -o "$work/mixed-bf16.safetensors" --dtype bf16
step "$ckpt" inspect "$work/mixed-bf16.safetensors"

# --- Later stages add their demo steps below this line (layout conversion, verify, embed). ---
