import CkptKit
import CZstd
import FuzzSupport
#if canImport(Glibc)
import Glibc
#endif

// libFuzzer target over `.safetensors.zst` inputs. The input is
//  - a whole compressed file when it starts with the zstd magic (raw mutations of real frames);
//  - otherwise a `RandomCheckpoint` that is written, compressed at a chosen level, then damaged by a
//    few byte edits, a cut or appended bytes chosen by the input.
// Invariants: every error is a CkptError; an undamaged frame opens and gives back exactly the tensors
// that were written; an accepted file's tensors lie inside the decompressed file and read in full.

let scratch = ScratchFile.path("zstd") + ".safetensors.zst"
let plain = ScratchFile.path("zstd-plain")

func compress(_ bytes: [UInt8], level: Int32) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: ZSTD_compressBound(bytes.count))
    let n = out.withUnsafeMutableBytes { o in bytes.withUnsafeBytes { ZSTD_compress(o.baseAddress, o.count, $0.baseAddress, $0.count, level) } }
    precondition(ZSTD_isError(n) == 0, "ZSTD_compress failed")
    return Array(out.prefix(n))
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzZstd(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    var expected: RandomCheckpoint? = nil
    if size >= 4, Array(input.prefix(4)) == [0x28, 0xB5, 0x2F, 0xFD] {
        ScratchFile.write(input, to: scratch)
    } else {
        var stream = ByteStream(input)
        let model = RandomCheckpoint(&stream, vocabularyNames: false)
        unlink(plain)
        do { try SafetensorsWriter.write(model.outputs, to: plain, metadata: model.metadata) } catch {
            fatalError("writing a valid checkpoint failed: \(error)")
        }
        let file: [UInt8]
        do {
            let mapped = try MappedFile(path: plain)
            file = try mapped.copyBytes(offset: 0, count: mapped.size)
        } catch { fatalError("reading back \(plain) failed: \(error)") }
        var frame = compress(file, level: Int32(1 + stream.below(19)))
        var damaged = false
        for _ in 0..<stream.below(4) {
            let at = (Int(stream.byte()) << 8 | Int(stream.byte())) % frame.count
            frame[at] ^= stream.byte() | 1
            damaged = true
        }
        switch stream.below(4) {
        case 1:
            frame.removeLast(1 + stream.below(min(frame.count, 16)))
            damaged = true
        case 2:
            let tail = stream.take(1 + stream.below(32))
            frame += tail
            damaged = damaged || !tail.isEmpty
        default: break
        }
        if !damaged { expected = model }
        frame.withUnsafeBytes { ScratchFile.write($0, to: scratch) }
    }
    let checkpoint: Checkpoint
    do {
        checkpoint = try Checkpoint.open(scratch)
    } catch let error as CkptError {
        precondition(expected == nil, "an undamaged zstd frame was refused: \(error)")
        return 0
    } catch {
        fatalError("the zstd path threw a non-CkptError: \(error)")
    }
    CheckpointInvariants.check(checkpoint, context: "zstd")
    if let expected {
        precondition(checkpoint.tensors.count == expected.tensors.count, "tensor count changed through zstd")
        for t in expected.tensors {
            guard let got = checkpoint[t.name] else { fatalError("tensor \(t.name) lost through zstd") }
            precondition(got.dtype == t.dtype && got.shape == t.shape && (try? got.contiguousBytes()) == t.bytes,
                         "tensor \(t.name) differs after a zstd round trip")
        }
    }
    return 0
}

exit(runFuzzer(fuzzZstd))
