import CkptKit
import FuzzSupport
#if canImport(Glibc)
import Glibc
#endif

// libFuzzer target over the `.pth` reader (zip container + restricted pickle machine). The input is
//  - a whole file when it starts with a zip local header ("PK\3\4", e.g. the golden .pth seeds);
//  - a raw pickle stream when it starts with PROTO (0x80), wrapped in a torch-shaped archive;
//  - otherwise a `PickleProgram` description: torch.save idioms and single opcodes, including
//    GLOBAL/STACK_GLOBAL/INST of dangerous callables, REDUCE, BUILD and memo traffic, wrapped the same way.
// Invariants: every error is a CkptError; a program that names a refused global or uses INST never
// yields a checkpoint; an accepted checkpoint's tensors lie inside the file and can be read in full.

let scratch = ScratchFile.path("pth") + ".pth"

/// A torch.save-shaped archive around `pickle`, with storage records "0"…"3" of the given byte sizes.
func archive(_ pickle: [UInt8], storageSizes: [Int]) -> [UInt8] {
    var zip = ZipBuilder()
    zip.add("archive/data.pkl", pickle)
    zip.add("archive/byteorder", Array("little".utf8))
    for (i, size) in storageSizes.enumerated() {
        zip.add("archive/data/\(i)", (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ i) })
    }
    zip.add("archive/version", Array("3\n".utf8))
    return zip.bytes
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPth(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    var mustRefuse = false
    if size >= 4, Array(input.prefix(4)) == [0x50, 0x4B, 0x03, 0x04] {
        ScratchFile.write(input, to: scratch)
    } else if size >= 1, input[0] == 0x80 {
        archive(Array(input), storageSizes: [64, 128, 2, 0]).withUnsafeBytes { ScratchFile.write($0, to: scratch) }
    } else {
        var stream = ByteStream(input)
        let sizes = (0..<4).map { _ in 2 * stream.below(64) }
        let program = PickleProgram(&stream)
        mustRefuse = program.exact && program.refused
        archive(program.bytes, storageSizes: sizes).withUnsafeBytes { ScratchFile.write($0, to: scratch) }
    }
    let checkpoint: Checkpoint
    do {
        checkpoint = try Checkpoint.open(scratch)
    } catch is CkptError {
        return 0
    } catch {
        fatalError("the .pth reader threw a non-CkptError: \(error)")
    }
    precondition(!mustRefuse, "a pickle naming a refused global (or using INST) yielded a checkpoint of \(checkpoint.tensors.count) tensors")
    CheckpointInvariants.check(checkpoint, context: "pth")
    return 0
}

exit(runFuzzer(fuzzPth))
