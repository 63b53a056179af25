import CkptKit
import FuzzSupport
#if canImport(Glibc)
import Glibc
#endif

// libFuzzer target over the safetensors open path: the input is a whole file. Opening must either
// throw a CkptError or give a header whose every tensor view is inside the file; then every view is
// read in full (a bad bound would crash under ASan), as are the inspect report and float values.

let scratch = ScratchFile.path("safetensors")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    ScratchFile.write(input, to: scratch)
    let file: SafetensorsFile
    do {
        file = try SafetensorsFile(path: scratch)
    } catch is CkptError {
        return 0  // Rejected with a typed error: the expected outcome for most inputs.
    } catch {
        fatalError("SafetensorsFile threw a non-CkptError: \(error)")
    }
    var covered = 0
    for t in file.tensors {
        precondition(t.begin >= 0 && t.begin <= t.end, "tensor \(t.name): bad range \(t.begin)..<\(t.end)")
        precondition(file.fileOffset(of: t) + t.byteCount <= size, "tensor \(t.name) runs past the input")
        precondition(t.dtype.byteCount(for: t.shape) == t.byteCount, "tensor \(t.name): size does not match shape")
        covered += t.byteCount
        do {
            let checksum = try file.withBytes(of: t) { raw in raw.reduce(0 as UInt8) { $0 &+ $1 } }
            _ = checksum
        } catch {
            fatalError("tensor \(t.name): view of a validated tensor failed: \(error)")
        }
    }
    precondition(file.header.dataStart + covered == size, "validated tensors do not tile the data exactly")
    let checkpoint = Checkpoint(file: file)
    _ = InspectReport(checkpoint).text
    _ = JSONWriter.pretty(InspectReport(checkpoint).json)
    for entry in checkpoint.tensors where entry.dtype.isCastableFloat && entry.byteCount <= 1 << 16 {
        do {
            let values = try entry.floatValues()
            precondition(values.count == entry.elementCount, "tensor \(entry.name): \(values.count) values for \(entry.elementCount) elements")
        } catch {
            fatalError("tensor \(entry.name): floatValues failed on a validated tensor: \(error)")
        }
    }
    return 0
}

// libFuzzer runs the loop; SwiftPM renames this file's top-level code to the executable's main.
exit(runFuzzer(fuzzSafetensors))
