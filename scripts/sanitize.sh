#!/bin/sh
# Runs tests under a sanitizer, in its own scratch folder so the normal build is untouched.
#
#   scripts/sanitize.sh address [filter]   AddressSanitizer (+ LeakSanitizer): .build-asan
#   scripts/sanitize.sh thread  [filter]   ThreadSanitizer over the threaded code: .build-tsan
#
# The default filters are the suites that exercise unsafe code; pass "" to run everything.
# Every target is instrumented, including the ckpt executable the CLI tests launch, so the
# hostile-corpus and crash-safety runs are checked too.
set -eu
cd "$(dirname "$0")/.."
kind=${1:-address}

# ASan: the library's unit tests (one target per module), the hostile corpus, input changes and crash safety.
# (SIGKILL trials are left to the plain run: they time the process and ASan only slows them. The peak-RSS
# bounds of the hostile image and DICOM corpora too: ASan's shadow memory is not the reader's; the DICOM
# reader's own refusal tests in CkptDICOMTests run every hostile DICOM case under ASan.)
ASAN_FILTER='Ckpt(Core|Pth|Checkpoint|Layout|Forward|Verify|Image|DICOM)Tests|ImageCommandTests|HostileCorpusTests|ConvertDicomCommandTests|InputChangeTests|SpecialFileTests|CrashSafetyTests/test(FileSize|FullDisk|Unwritable|SourceChanging|Output|Destination)'
# TSan: suites whose code runs on several threads of ours: the two-worker SHA-256 of manifests, the
# reader under concurrent file changes, the card recipe's row-parallel B-spline passes, and the forward pass (its workers are ours; the sgemm calls
# inside them are OpenBLAS's, uninstrumented) on a golden case with interpolation and 2 threads.
# Also the one-read pass (file digest and tensor digests + value scan on two threads, also inside
# verify --manifest) and embed --image (the next batch is decoded on a background thread while the
# forward pass runs).
TSAN_FILTER='ManifestTests|OneReadHashingTests|StrictVerifierTests/testManifestPassReportsValuesLikeThePlainScan|ImageCommandTests/testEmbedImagesMatchesGoldenCase|InputChangeTests|ForwardGoldenTests/testUnmodifiedWeightsPassTheDefectCase|VecMathTests|RecipeGoldenTests'

case $kind in
    address) scratch=.build-asan; filter=${2-$ASAN_FILTER} ;;
    thread) scratch=.build-tsan; filter=${2-$TSAN_FILTER} ;;
    *) echo "usage: $0 address|thread [filter]" >&2; exit 64 ;;
esac

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:halt_on_error=1:malloc_context_size=15}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan-suppressions.txt:print_suppressions=0}
# A sanitizer abort should print its report and end, not wait in Swift's interactive backtracer.
export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1}
start=$(date +%s)
if [ -n "$filter" ]; then
    swift test --sanitize="$kind" --scratch-path "$scratch" --filter "$filter"
else
    swift test --sanitize="$kind" --scratch-path "$scratch"
fi
echo "sanitize $kind: $(( $(date +%s) - start )) s"
