#!/usr/bin/env bash
# One command from a fresh clone to ckpt working on the bundled examples in golden/:
# installs the missing Debian packages, builds ckpt (release), inspects a sharded Hugging Face
# folder, merges it into one safetensors file and checks it is byte-identical to what
# transformers' save_pretrained wrote unsharded, reads a .zst and casts it to bf16; then the main job
# on a small upstream-written model: HF → original DINOv2 layout, strict verify, cross-layout diff,
# release manifest, golden-vector check of the forward pass, embeddings.
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

# --- The main job on a small upstream-written model (golden/models/tiny: transformers save_pretrained
# of a DINOv2 with RAD-DINO's structure, reduced to width 32, 2 blocks, 28 px): convert the HF release
# to the original DINOv2 layout, check it strictly, prove both files hold the same weights, and prove
# the converted file still gives PyTorch's embeddings.
tiny=golden/models/tiny
step "$ckpt" inspect "$tiny/hf"
step "$ckpt" convert hf-to-dinov2 "$tiny/hf" -o "$work/backbone_compatible.safetensors"
step cmp "$work/backbone_compatible.safetensors" "$tiny/dinov2.safetensors"
echo "converted file is byte-identical to the original DINOv2 module's own state_dict file"
step "$ckpt" verify --strict "$work/backbone_compatible.safetensors"
step "$ckpt" diff "$tiny/hf" "$work/backbone_compatible.safetensors"
step "$ckpt" manifest "$work/backbone_compatible.safetensors" -o "$work/release.json"
step "$ckpt" verify --strict --manifest "$work/release.json" --golden golden/forward/tiny-native "$work/backbone_compatible.safetensors"
step "$ckpt" embed "$work/backbone_compatible.safetensors" --pixels golden/forward/tiny-native/pixels.safetensors -o "$work/embeddings.safetensors"
step "$ckpt" inspect "$work/embeddings.safetensors"

# --- Images: a bundled X-ray-like image through RAD-DINO's own preprocessor config (518×518 pixel_values,
# bit-exact with transformers' PIL processor), then image files straight to embeddings with the tiny model.
step "$ckpt" preprocess golden/images/inputs/camera.png --preprocessor golden/images/configs/rad-dino.json -o "$work/xray-pixels.safetensors"
step "$ckpt" embed "$tiny/hf" --image golden/images/inputs/camera.png golden/images/inputs/rocket.jpg golden/images/inputs/gray16.png \
    --preprocessor golden/forward/tiny-images-hf/preprocessor_config.json --batch 2 -o "$work/image-embeddings.safetensors"
step "$ckpt" verify "$tiny/hf" --golden golden/forward/tiny-images-hf

# --- DICOM: a MONOCHROME1 chest radiograph crop (NEMA WG04 RG1) as RAD-DINO's training data was prepared
# (B-spline to a 518 shorter side, min-max to 8 bits: SimpleITK's PNG bit for bit), then straight to embeddings.
step "$ckpt" convert dicom golden/dicom/inputs/rg1_crop.dcm -o "$work/rg1.png"
step "$ckpt" embed "$tiny/hf" --image golden/dicom/inputs/rg1_crop.dcm "$work/rg1.png" \
    --preprocessor golden/images/configs/rad-dino.json -o "$work/dicom-embeddings.safetensors"
# A golden case of DICOM files: the prepared pixels against SimpleITK's, pixel_values against transformers' on
# SimpleITK's PNGs, the embeddings against PyTorch's.
step "$ckpt" verify "$tiny/hf" --golden golden/forward/tiny-dicom-hf
echo
echo "demo finished: every step above exited 0"

