// The process-start floor of a Swift program: built like ckpt (release, Swift runtime linked in,
// stripped), it prints one line and exits. bench.py times it beside `ckpt --version`.
print("hello")
