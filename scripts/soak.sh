#!/bin/bash
# Soak test (not in CI): random small architectures through synth → convert (every direction, timm too) →
# verify → manifest → diff → embed, round after round, for a given time. Reports that every round trip
# was bit-identical (and both layouts embed alike within 1e-5), the peak RSS of each command over the run (first rounds against last rounds: a
# leak or growth shows as a rising line), and the most file descriptors any ckpt process held
# (sampled from /proc/PID/fd while it runs).
#
#   scripts/soak.sh [seconds] [ckpt binary]      defaults: 3600, .build/debug/ckpt
#
# Needs /usr/bin/time (GNU time) and zstd. Exits 1 on the first failed round, leaving its folder.
set -u
cd "$(dirname "$0")/.."
duration=${1:-3600}
ckpt=$(realpath "${2:-.build/debug/ckpt}")
pixels=$(realpath golden/forward/tiny-native/pixels.safetensors)
work=$(mktemp -d "${TMPDIR:-/tmp}/ckpt-soak-XXXXXX")
log="$work/rss.tsv"          # round, command, peak RSS KiB, most fds
: > "$log"
end=$(( $(date +%s) + duration ))
round=0

# run LABEL ARGS...: runs ckpt, records peak RSS and the most fds seen; fails the round on exit != 0.
run() {
    local label=$1; shift
    /usr/bin/time -f "%M" -o "$work/time" "$ckpt" "$@" > "$work/out" 2> "$work/err" &
    local timer=$! fds=0 n pid
    while kill -0 "$timer" 2>/dev/null; do
        pid=$(pgrep -P "$timer" 2>/dev/null | head -n 1)
        if [ -n "$pid" ]; then
            n=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
            [ "$n" -gt "$fds" ] && fds=$n
        fi
        sleep 0.005
    done
    wait "$timer"; local code=$?
    printf '%s\t%s\t%s\t%s\n' "$round" "$label" "$(tail -n 1 "$work/time")" "$fds" >> "$log"
    if [ "$code" -ne 0 ]; then
        echo "round $round: ckpt $* exited $code"; cat "$work/err"; exit 1
    fi
}

same() {  # same A B WHAT: bit-identical files
    cmp -s "$1" "$2" || { echo "round $round: $3 is not bit-identical ($1 vs $2)"; exit 1; }
}

while [ "$(date +%s)" -lt "$end" ]; do
    round=$((round + 1))
    r="$work/r"; rm -rf "$r"; mkdir -p "$r"
    heads=$(( (RANDOM % 3) + 1 )); width=$(( heads * 32 * ((RANDOM % 2) + 1) ))
    depth=$(( (RANDOM % 3) + 1 )); registers=$(( (RANDOM % 2) * 4 ))
    ffn=$([ $((RANDOM % 2)) -eq 0 ] && echo mlp || echo swiglu)
    size=$(( 14 * ((RANDOM % 4) + 2) )); seed=$RANDOM
    arch=(--width "$width" --depth "$depth" --heads "$heads" --ffn "$ffn" --registers "$registers" --image-size "$size" --seed "$seed")
    run synth synth "${arch[@]}" -o "$r/a.safetensors"
    run synth-hf synth "${arch[@]}" --layout hf -o "$r/hf"
    run dinov2-to-hf convert dinov2-to-hf "$r/a.safetensors" -o "$r/h"
    same "$r/h/model.safetensors" "$r/hf/model.safetensors" "dinov2-to-hf against synth --layout hf"
    run hf-to-dinov2 convert hf-to-dinov2 "$r/hf" -o "$r/a2.safetensors"
    same "$r/a2.safetensors" "$r/a.safetensors" "hf-to-dinov2 of dinov2-to-hf"
    # timm: from both layouts and from synth alike; back to the original bit for bit without registers,
    # and timm → original → timm bit for bit with them (the fold's split is not byte-identical, docs/layouts.md).
    run hf-to-timm convert layout "$r/hf" --to timm -o "$r/t.safetensors"
    run synth-timm synth "${arch[@]}" --layout timm -o "$r/t2.safetensors"
    same "$r/t2.safetensors" "$r/t.safetensors" "convert layout --to timm against synth --layout timm"
    run timm-to-dinov2 convert layout "$r/t.safetensors" --to dinov2 -o "$r/a3.safetensors"
    if [ "$registers" -eq 0 ]; then
        same "$r/a3.safetensors" "$r/a.safetensors" "timm to dinov2 of hf to timm"
    else
        run dinov2-to-timm convert layout "$r/a3.safetensors" --to timm -o "$r/t3.safetensors"
        same "$r/t3.safetensors" "$r/t.safetensors" "timm to dinov2 to timm"
    fi
    run verify-timm verify --strict "$r/t.safetensors"
    run copy convert safetensors "$r/a.safetensors" -o "$r/copy.safetensors"
    same "$r/copy.safetensors" "$r/a.safetensors" "convert safetensors (copy)"
    zstd -q -1 "$r/a.safetensors" -o "$r/a.safetensors.zst"
    run from-zstd convert safetensors "$r/a.safetensors.zst" -o "$r/unzst.safetensors"
    same "$r/unzst.safetensors" "$r/a.safetensors" "convert safetensors from .zst"
    run verify-dinov2 verify --strict "$r/a.safetensors"
    run verify-hf verify --strict "$r/hf"
    run manifest manifest "$r/a.safetensors" -o "$r/m.json"
    run verify-manifest verify "$r/a2.safetensors" --manifest "$r/m.json"
    run diff diff "$r/a.safetensors" "$r/hf"
    run embed-dinov2 embed "$r/a.safetensors" --pixels "$pixels" -o "$r/e1.safetensors" --interpolation dinov2 --heads "$heads"
    run embed-hf embed "$r/hf" --pixels "$pixels" -o "$r/e2.safetensors" --interpolation dinov2
    # The HF layout lends the fused qkv in three parts, so GEMM blocking (and float rounding) differs:
    # the two layouts agree to 1e-5, not bit for bit (golden tolerances are wider still).
    run diff-embed diff "$r/e1.safetensors" "$r/e2.safetensors" --atol 1e-5
    # timm's file holds the original's tensors (the class position folded into cls_token with registers):
    # the same sums, so the same embeddings bit for bit.
    run embed-timm embed "$r/t.safetensors" --pixels "$pixels" -o "$r/e3.safetensors" --interpolation dinov2 --heads "$heads"
    run diff-embed-timm diff "$r/e1.safetensors" "$r/e3.safetensors"
done

echo "soak: $round rounds in ${duration} s, every round trip bit-identical (dinov2⇄hf, hf→timm⇄dinov2, copy, zstd, manifest); embeddings of hf and dinov2 within 1e-5, of timm and dinov2 identical"
# Per command: peak RSS in the first and the last quarter of the rounds, and the most fds held.
awk -F'\t' -v n="$round" '
    { q = ($1 <= n / 4) ? "first" : ($1 > 3 * n / 4) ? "last" : "mid"
      if ($3 > rss[$2, q]) rss[$2, q] = $3; if ($3 > top[$2]) top[$2] = $3
      if ($4 > fd[$2]) fd[$2] = $4; seen[$2] = 1 }
    END { printf "%-16s %14s %14s %8s\n", "command", "RSS first ¼", "RSS last ¼", "max fds"
          for (c in seen) printf "%-16s %11.1f MiB %11.1f MiB %8d\n", c, rss[c, "first"] / 1024, rss[c, "last"] / 1024, fd[c] }' "$log" | sort
rm -rf "$work"
