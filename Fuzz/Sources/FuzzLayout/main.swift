import CkptKit
import FuzzSupport
#if canImport(Glibc)
import Glibc
#endif

// Fuzzer over layout detection: the input describes a valid checkpoint whose keys come mostly from
// the DINOv2 / transformers / training vocabularies, with random shapes and dtypes. It is written,
// opened as the CLI opens it, and inspected. Whatever the key set, nothing may crash.

let scratch = ScratchFile.path("layout")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLayout(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var stream = ByteStream(UnsafeRawBufferPointer(start: data, count: size))
    let model = RandomCheckpoint(&stream, vocabularyNames: true)
    unlink(scratch)
    do {
        try SafetensorsWriter.write(model.outputs, to: scratch, metadata: model.metadata)
    } catch {
        fatalError("writing a valid checkpoint failed: \(error)")
    }
    let checkpoint: Checkpoint
    do {
        checkpoint = try Checkpoint.open(scratch)
    } catch {
        fatalError("opening a just-written checkpoint failed: \(error)")
    }
    _ = JSONWriter.pretty(InspectReport(checkpoint).json)
    // Detection must answer (a layout or a thrown CkptError) for any set of keys and shapes: a trap is a bug.
    _ = try? Layouts.detect(checkpoint)
    return 0
}

// libFuzzer runs the loop; SwiftPM renames this file's top-level code to the executable's main.
exit(runFuzzer(fuzzLayout))
