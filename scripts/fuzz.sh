#!/bin/sh
# Builds the libFuzzer targets (Fuzz/) with -sanitize=fuzzer,address and runs each for a bounded
# time. Fails on any crash, hang (-timeout), leak (LeakSanitizer) or out-of-memory.
#
#   scripts/fuzz.sh [total-seconds]      default 60, split across the fuzzers (one fuzzer gets it all)
#   CKPT_FUZZ_CONFIGURATION=release      campaigns: optimised build with ASan (.build-fuzz-release),
#                                        many more executions a second than the default debug build
#
# Seeds: the committed Fuzz/Corpus/<fuzzer>/ (read-only here) plus, for the safetensors fuzzer,
# the hostile corpus. New inputs go to .build-fuzz/corpus/<fuzzer>/; a failing input is written to
# .build-fuzz/artifacts/ — minimise it (`<fuzzer> -minimize_crash=1 -runs=10000 <file>`), add it to
# Fuzz/Corpus/<fuzzer>/, and fix the bug. Prints the executions run, for the tally in Fuzz/README.md.
set -eu
cd "$(dirname "$0")/.."
total=${1:-60}
configuration=${CKPT_FUZZ_CONFIGURATION:-debug}
case $configuration in
    debug) scratch=.build-fuzz ;;
    release) scratch=.build-fuzz-release ;;
    *) echo "CKPT_FUZZ_CONFIGURATION must be debug or release, not '$configuration'" >&2; exit 64 ;;
esac
fuzzers=${CKPT_FUZZERS:-"FuzzSafetensors FuzzRoundTrip FuzzLayout FuzzPth FuzzZstd FuzzHFFolder FuzzManifest FuzzImage FuzzDICOM"}

for f in $fuzzers; do
    CKPT_FUZZ=1 swift build -c "$configuration" --scratch-path "$scratch" -Xswiftc -sanitize=fuzzer,address --product "$f" 2>&1 \
        | grep -v "Cannot export local symbol" | tail -n 3
done
bin=$(CKPT_FUZZ=1 swift build -c "$configuration" --scratch-path "$scratch" --show-bin-path)
mkdir -p "$scratch/artifacts"

# The parser fuzzers are fast (thousands of inputs a second), the structured ones write and reread
# files (hundreds a second): a quarter of the time to safetensors, a sixth to .pth, a twelfth to each
# other. CKPT_FUZZERS="FuzzPth FuzzZstd" runs a subset.
executions=0
status=0
count=$(echo $fuzzers | wc -w)
for f in $fuzzers; do
    case $f in
        FuzzSafetensors) seconds=$((total / 4)); max_len=65536; seeds="Fuzz/Corpus/$f Tests/Corpus/hostile" ;;
        FuzzPth) seconds=$((total / 6)); max_len=65536; seeds="Fuzz/Corpus/$f" ;;
        FuzzImage|FuzzDICOM) seconds=$((total / 12)); max_len=16384; seeds="Fuzz/Corpus/$f" ;;
        *) seconds=$((total / 12)); max_len=4096; seeds="Fuzz/Corpus/$f" ;;
    esac
    if [ "$count" -eq 1 ]; then seconds=$total; fi
    [ "$seconds" -ge 1 ] || seconds=1
    mkdir -p "$scratch/corpus/$f"
    log="$scratch/artifacts/$f.log"
    echo "== $f: $seconds s"
    # The outer timeout is a backstop in case libFuzzer itself wedges.
    if timeout -s KILL $((seconds + 120)) "$bin/$f" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len="$max_len" -print_final_stats=1 -artifact_prefix="$scratch/artifacts/$f-" \
        "$scratch/corpus/$f" $seeds >"$log" 2>&1; then
        :
    else
        status=1
        echo "FAILED: $f (log: $log)"
        grep -v "Cannot export local symbol" "$log" | grep -E "ERROR|SUMMARY|Fatal error|Test unit written|panic|deadly" | head -n 20
    fi
    n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    echo "   executions: ${n:-?}"
    executions=$((executions + ${n:-0}))
done
echo "total executions: $executions"
exit $status
