import CkptKit

/// The invariants every checkpoint ckpt accepts must hold, whatever the input: each tensor's byte
/// count matches its dtype and shape, every file-backed segment lies inside its mapped file, and every
/// byte of every tensor can be read. Traps (a failed precondition) are reported by libFuzzer.
public enum CheckpointInvariants {
    public static func check(_ checkpoint: Checkpoint, context: String) {
        for t in checkpoint.tensors {
            let expected = t.dtype.byteCount(for: t.shape)
            precondition(expected == t.byteCount, "\(context): tensor \(t.name): \(t.byteCount) bytes for \(t.dtype.rawValue) \(t.shape)")
            for segment in t.segments {
                guard case let .file(file, offset, count) = segment else { continue }
                precondition(offset >= 0 && count >= 0 && offset <= file.size && count <= file.size - offset,
                             "\(context): tensor \(t.name): segment \(offset)+\(count) is outside \(file.path) (\(file.size) bytes)")
            }
            do {
                let bytes = try t.contiguousBytes()
                precondition(bytes.count == t.byteCount, "\(context): tensor \(t.name): read \(bytes.count) of \(t.byteCount) bytes")
            } catch {
                fatalError("\(context): tensor \(t.name): reading an accepted tensor failed: \(error)")
            }
        }
        _ = JSONWriter.pretty(InspectReport(checkpoint).json)
    }
}
