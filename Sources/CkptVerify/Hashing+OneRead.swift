import CkptCheckpoint
import CkptFormat
import Crypto
import Dispatch
import Foundation

extension Hashing {
    /// Bytes per read of the one-read pipeline: two buffers of this stay in the shared L3 cache
    /// between the read (and file hash) on one core and the tensor hashes on the other.
    static let pipelineChunk = 4 << 20

    /// SHA-256 of every file in `files` and of every tensor, in the order `[files…, tensors…]`
    /// (as `sha256(_ jobs:)` returns them for `files.map(.file) + tensors.map(.tensor)`).
    ///
    /// With two or more threads, each file whose tensors all lie in it, in increasing offsets, is
    /// read once: one worker reads a chunk and feeds the file's hasher while the other feeds the
    /// hashers of the tensors in the previous chunk, from the same buffer. The digests are the
    /// same as hashing each separately; what is saved is the second read of every byte. Tensors
    /// elsewhere (in memory, or in ranges out of order) are hashed on their own as before.
    package static func sha256(files: [MappedFile], tensors: [TensorEntry], threads: Int,
                              progress: ProgressCounter? = nil) throws -> [String] {
        var digests = [String?](repeating: nil, count: files.count + tensors.count)
        var piecesByFile = [[Piece]](repeating: [], count: files.count)
        var rest: [(slot: Int, job: Job)] = []
        if threads >= 2 {
            for (t, tensor) in tensors.enumerated() {
                if let (file, pieces) = inOrderPieces(tensor, slot: files.count + t, files: files) {
                    piecesByFile[file] += pieces
                } else {
                    rest.append((files.count + t, .tensor(tensor)))
                }
            }
        } else {
            rest = tensors.enumerated().map { (files.count + $0, .tensor($1)) }
        }
        for (f, file) in files.enumerated() {
            if piecesByFile[f].isEmpty {
                rest.append((f, .file(file)))
            } else {
                for (slot, digest) in try oneRead(file, slot: f, pieces: piecesByFile[f], progress: progress) {
                    digests[slot] = digest
                }
            }
        }
        let restDigests = try sha256(rest.map(\.job), threads: threads, progress: progress)
        for (i, r) in rest.enumerated() { digests[r.slot] = restDigests[i] }
        return digests.map { $0! }
    }

    /// A tensor's byte range in one file; `slot` is where its digest goes.
    struct Piece {
        let slot: Int, offset: Int, count: Int
    }

    /// The tensor's segments as pieces of one of `files` when they all lie in it in increasing,
    /// non-overlapping order (so feeding them in file order is feeding them in tensor order).
    static func inOrderPieces(_ tensor: TensorEntry, slot: Int, files: [MappedFile]) -> (Int, [Piece])? {
        var file: Int? = nil, end = 0
        var pieces: [Piece] = []
        for segment in tensor.segments {
            guard case let .file(f, offset, count) = segment, let index = files.firstIndex(where: { $0 === f }),
                  file == nil || file == index, offset >= end else { return nil }
            file = index
            end = offset + count
            pieces.append(Piece(slot: slot, offset: offset, count: count))
        }
        guard let file, !pieces.isEmpty else { return nil }
        return (file, pieces)
    }

    /// Reads `file` once in chunks; the calling thread reads and hashes the file while a second
    /// one hashes the pieces of each chunk read before. Returns (slot, digest) for the file and
    /// every tensor with pieces here.
    static func oneRead(_ file: MappedFile, slot fileSlot: Int, pieces: [Piece],
                        progress: ProgressCounter?) throws -> [(Int, String)] {
        let sorted = pieces.sorted { $0.offset < $1.offset }
        let chunk = min(pipelineChunk, max(file.size, 1))
        let chunks = (file.size + chunk - 1) / chunk
        let buffers = ChunkBuffers(count: 2, bytes: chunk)
        let free = (0..<2).map { _ in DispatchSemaphore(value: 1) }, ready = (0..<2).map { _ in DispatchSemaphore(value: 0) }
        let failure = FirstError()

        // The tensor side: its own thread, one chunk behind the reader.
        let slots = Array(Set(sorted.map(\.slot))).sorted()
        let tensorDigests = TensorHashers(slots: slots)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            var next = 0  // first piece that may still reach into the current chunk
            for i in 0..<chunks {
                ready[i % 2].wait()
                if !failure.isSet {
                    let lo = i * chunk, hi = min(lo + chunk, file.size), bytes = UnsafeRawBufferPointer(buffers[i % 2])
                    while next < sorted.count, sorted[next].offset + sorted[next].count <= lo { next += 1 }
                    var p = next
                    while p < sorted.count, sorted[p].offset < hi {
                        let piece = sorted[p]
                        let from = max(piece.offset, lo), to = min(piece.offset + piece.count, hi)
                        if from < to {
                            tensorDigests.update(piece.slot, UnsafeRawBufferPointer(rebasing: bytes[(from - lo)..<(to - lo)]))
                            progress?.add(to - from)
                        }
                        p += 1
                    }
                }
                free[i % 2].signal()
            }
            done.signal()
        }

        var hasher = SHA256()
        for i in 0..<chunks {
            free[i % 2].wait()
            if !failure.isSet {
                let lo = i * chunk, n = min(chunk, file.size - lo)
                let part = UnsafeMutableRawBufferPointer(rebasing: buffers[i % 2][0..<n])
                do {
                    try file.read(into: part, at: lo)
                    hasher.update(bufferPointer: UnsafeRawBufferPointer(part))
                    progress?.add(n)
                } catch { failure.set(error) }
            }
            ready[i % 2].signal()
        }
        done.wait()
        if let error = failure.error { throw error }
        // Zero-byte pieces (empty tensors) never meet a chunk; their hashers stay empty, as they should.
        return [(fileSlot, hex(hasher.finalize()))] + tensorDigests.finalize()
    }

    /// The pipeline's read buffers, freed with it.
    private final class ChunkBuffers: @unchecked Sendable {  // each buffer is used by one thread at a time, ordered by the semaphores
        private let buffers: [UnsafeMutableRawBufferPointer]
        init(count: Int, bytes: Int) {
            buffers = (0..<count).map { _ in .allocate(byteCount: bytes, alignment: 64) }
        }
        deinit { buffers.forEach { $0.deallocate() } }
        subscript(i: Int) -> UnsafeMutableRawBufferPointer { buffers[i] }
    }

    /// SHA-256 state per tensor slot, used only by the tensor thread until `finalize`.
    private final class TensorHashers: @unchecked Sendable {  // one thread at a time: the pipeline's semaphores order the uses
        private var hashers: [Int: SHA256]
        init(slots: [Int]) { hashers = Dictionary(uniqueKeysWithValues: slots.map { ($0, SHA256()) }) }
        func update(_ slot: Int, _ bytes: UnsafeRawBufferPointer) { hashers[slot]!.update(bufferPointer: bytes) }
        func finalize() -> [(Int, String)] { hashers.map { ($0.key, Hashing.hex($0.value.finalize())) } }
    }

    /// The first error of the pipeline.
    private final class FirstError: @unchecked Sendable {  // guarded by lock
        private let lock = NSLock()
        private var first: Error?
        var isSet: Bool { lock.lock(); defer { lock.unlock() }; return first != nil }
        var error: Error? { lock.lock(); defer { lock.unlock() }; return first }
        func set(_ e: Error) { lock.lock(); if first == nil { first = e }; lock.unlock() }
    }
}
