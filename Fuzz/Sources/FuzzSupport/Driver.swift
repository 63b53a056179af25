import CFuzzerDriver

/// Runs libFuzzer with the process's arguments and `target` as the per-input callback; returns
/// libFuzzer's exit status. Each fuzzer's `main.swift` is one call to this.
public func runFuzzer(_ target: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32 {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    return LLVMFuzzerRunDriver(&argc, &argv, target)
}
