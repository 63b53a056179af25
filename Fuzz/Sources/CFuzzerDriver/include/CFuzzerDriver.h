#ifndef CKPT_FUZZER_DRIVER_H
#define CKPT_FUZZER_DRIVER_H
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's entry point for programs that keep their own `main` (SwiftPM renames an executable's
/// `main`, so libFuzzer's default `main` cannot be used). Defined by the `-sanitize=fuzzer` runtime.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));
#endif
