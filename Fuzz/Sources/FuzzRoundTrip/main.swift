import CkptKit
import FuzzSupport
#if canImport(Glibc)
import Glibc
#endif

// Structured round-trip fuzzer: the input describes a valid checkpoint (RandomCheckpoint). It is
// written from memory, read back and compared field by field and byte by byte; then rewritten from
// the file it was read from (split into several segments, through copy_file_range/pread) and the two
// files must be byte-identical, because the writer is canonical.

let first = ScratchFile.path("roundtrip-a")
let second = ScratchFile.path("roundtrip-b")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRoundTrip(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var stream = ByteStream(UnsafeRawBufferPointer(start: data, count: size))
    let model = RandomCheckpoint(&stream, vocabularyNames: false)
    unlink(first)
    unlink(second)
    do {
        try SafetensorsWriter.write(model.outputs, to: first, metadata: model.metadata)
        let file = try SafetensorsFile(path: first)
        precondition(file.tensors.count == model.tensors.count, "tensor count \(file.tensors.count) != \(model.tensors.count)")
        let metadataMatches = (file.metadata == nil && model.metadata == nil)
            || (file.metadata.map { a in model.metadata.map { b in a.elementsEqual(b, by: { $0.0 == $1.0 && $0.1 == $1.1 }) } ?? false } ?? false)
        precondition(metadataMatches, "metadata changed: \(String(describing: file.metadata)) vs \(String(describing: model.metadata))")
        for t in model.tensors {
            guard let info = file.info(t.name) else { fatalError("tensor \(t.name.debugDescription) missing after write") }
            precondition(info.dtype == t.dtype && info.shape == t.shape, "tensor \(t.name.debugDescription) changed type or shape")
            let bytes = try file.withBytes(of: info) { Array($0) }
            precondition(bytes == t.bytes, "tensor \(t.name.debugDescription) changed bytes")
        }
        // Rewrite from the file, each tensor cut into two segments, and compare whole files.
        let checkpoint = Checkpoint(file: file)
        let split = checkpoint.tensors.map { entry -> OutputTensor in
            guard case let .file(_, _, count) = entry.segments[0], count > 1 else { return OutputTensor(entry) }
            let cut = count / 2
            let parts = [entry.segments[0].slice(0, cut), entry.segments[0].slice(cut, count - cut)]
            return OutputTensor(TensorEntry(name: entry.name, dtype: entry.dtype, shape: entry.shape,
                                            segments: parts, sourcePath: entry.sourcePath))
        }
        try SafetensorsWriter.write(split, to: second, metadata: file.metadata, protecting: [file.file.identity])
        let a = try MappedFile(path: first), b = try MappedFile(path: second)
        let sameBytes = try a.copyBytes(offset: 0, count: a.size) == b.copyBytes(offset: 0, count: b.size)
        precondition(sameBytes, "rewriting a file from itself changed its bytes")
        _ = InspectReport(checkpoint).text
    } catch {
        fatalError("round trip of a valid checkpoint failed: \(error)")
    }
    return 0
}

// libFuzzer runs the loop; SwiftPM renames this file's top-level code to the executable's main.
exit(runFuzzer(fuzzRoundTrip))
