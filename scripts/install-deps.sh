#!/usr/bin/env bash
# Installs the Debian packages ckpt needs to build and test, skipping those already installed:
# libzstd-dev, libopenblas-dev, libpng-dev, libjpeg62-turbo-dev, libdeflate-dev, libssl-dev, zlib1g-dev, libcharls-dev and libopenjp2-7-dev (linked by CkptKit, found with pkg-config), the zstd tool, and
# Python with venv for the interop check. Uses sudo when not run as root.
set -euo pipefail
packages=(libopenblas-dev libzstd-dev libpng-dev libjpeg62-turbo-dev libdeflate-dev libssl-dev zlib1g-dev libcharls-dev libopenjp2-7-dev pkg-config zstd python3 python3-venv)
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update
    $sudo apt-get install -y "${missing[@]}"
fi
