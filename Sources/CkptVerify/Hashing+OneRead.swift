import CkptCore
import Dispatch

extension Hashing {
    /// Bytes per step of the one-read pass, the unit of the value scan's split between the two
    /// threads: small enough that a step just hashed is still in the core's L2 cache when the same
    /// thread scans it, so the scan costs no second trip to memory.
    static let pipelineChunk = 256 << 10

    /// What one read of a checkpoint's files gives.
    package struct OneReadOutput: Sendable {
        /// Lowercase hex SHA-256 of every file, then of every tensor, in the order they were given.
        package var digests: [String]
        /// `TensorScan.scan` of every tensor in order; empty unless the scan was asked for.
        package var scans: [TensorScan.Result]
    }

    /// SHA-256 of every file in `files` and of every tensor, in the order `[files…, tensors…]`
    /// (as `sha256(_ jobs:)` returns them for `files.map(.file) + tensors.map(.tensor)`).
    package static func sha256(files: [MappedFile], tensors: [TensorEntry], threads: Int,
                              progress: ProgressCounter? = nil) throws -> [String] {
        try oneRead(files: files, tensors: tensors, scan: false, threads: threads, progress: progress).digests
    }

    /// The SHA-256 of every file and every tensor and, with `scan`, the value scan of every tensor,
    /// reading each byte of each file once.
    ///
    /// A file whose tensors all lie in it in increasing offsets is walked once over its mapping in
    /// `chunk`-sized steps by at most two threads, which see the same bytes: the first feeds the
    /// file's digest, the second every tensor's digest, and the scan of alternate steps is done by
    /// each, so with two threads each does one SHA-256 pass and half the scan. Each byte goes once
    /// into each digest that covers it. The digests are those of hashing each separately. Tensors
    /// elsewhere (bytes in memory, ranges out of order) are hashed and scanned on their own.
    package static func oneRead(files: [MappedFile], tensors: [TensorEntry], scan: Bool, threads: Int,
                               progress: ProgressCounter? = nil) throws -> OneReadOutput {
        try oneRead(files: files, tensors: tensors, scan: scan, threads: threads, progress: progress, chunk: pipelineChunk)
    }

    /// `oneRead` in steps of `chunk` bytes (tests use small steps on small files).
    static func oneRead(files: [MappedFile], tensors: [TensorEntry], scan: Bool, threads: Int,
                        progress: ProgressCounter?, chunk: Int) throws -> OneReadOutput {
        precondition(chunk > 0, "chunk must be positive")
        var digests = [String?](repeating: nil, count: files.count + tensors.count)
        var scans = [TensorScan.Result?](repeating: nil, count: scan ? tensors.count : 0)
        var piecesByFile = [[Piece]](repeating: [], count: files.count)
        var rest: [(slot: Int, job: Job)] = []
        for (t, tensor) in tensors.enumerated() {
            if let (file, pieces) = inOrderPieces(tensor, index: t, files: files, scan: scan) {
                piecesByFile[file] += pieces
            } else {
                rest.append((files.count + t, .tensor(tensor)))
            }
        }
        for (f, file) in files.enumerated() {
            if piecesByFile[f].isEmpty {
                rest.append((f, .file(file)))
                continue
            }
            let walked = try walk(file, pieces: piecesByFile[f], tensors: tensors, scan: scan, threads: threads,
                                  chunk: chunk, progress: progress)
            digests[f] = walked.file
            for (t, digest) in walked.tensors { digests[files.count + t] = digest }
            for (t, result) in walked.scans { scans[t] = result }
        }
        let restDigests = try sha256(rest.map(\.job), threads: threads, progress: progress)
        for (i, r) in rest.enumerated() { digests[r.slot] = restDigests[i] }
        if scan {
            // Tensors the walk could not scan (bytes in memory, ranges out of order, a range that
            // splits an element): on their own, as `verify` without a manifest does.
            for (t, tensor) in tensors.enumerated() where scans[t] == nil {
                scans[t] = try TensorScan.scan(tensor)
                progress?.add(tensor.byteCount)
            }
        }
        return OneReadOutput(digests: digests.map { $0! }, scans: scans.map { $0! })
    }

    /// A tensor's byte range in one file.
    struct Piece: Sendable {
        /// Index of the tensor in the caller's list.
        let tensor: Int
        let offset: Int, count: Int
        /// Flat index of the tensor element the range starts with (for the scan).
        let firstElement: Int
        var end: Int { offset + count }
    }

    /// The tensor's segments as pieces of one of `files` when they all lie in it in increasing,
    /// non-overlapping order (so feeding them in file order is feeding them in tensor order) and,
    /// when `scan`, each holds whole elements of the scan.
    static func inOrderPieces(_ tensor: TensorEntry, index: Int, files: [MappedFile], scan: Bool) -> (Int, [Piece])? {
        let unit = TensorScan.Accumulator.unitBytes(tensor.dtype)
        var file: Int? = nil, end = 0, before = 0
        var pieces: [Piece] = []
        for segment in tensor.segments {
            guard case let .file(f, offset, count) = segment, let at = files.firstIndex(where: { $0 === f }),
                  file == nil || file == at, offset >= end, !scan || count % unit == 0 else { return nil }
            file = at
            end = offset + count
            pieces.append(Piece(tensor: index, offset: offset, count: count, firstElement: before / unit))
            before += count
        }
        guard let file, !pieces.isEmpty else { return nil }
        return (file, pieces)
    }

    /// What one walk over a file gives: its digest, and the digests and scans of its tensors by index.
    struct Walked {
        var file: String
        var tensors: [(Int, String)]
        var scans: [(Int, TensorScan.Result)]
    }

    /// What one worker of a walk computed.
    private struct WorkerOutput: Sendable {
        var fileDigest: String?
        var tensorDigests: [(Int, String)] = []
        var scans: [Int: TensorScan.Accumulator] = [:]
    }

    /// Each worker's output, set once by that worker.
    private final class WorkerOutputs: Sendable {
        private let slots: Locked<[Result<WorkerOutput, Error>?]>
        init(count: Int) { slots = Locked(Array(repeating: nil, count: count)) }
        func set(_ w: Int, _ r: Result<WorkerOutput, Error>) { slots.withLock { $0[w] = r } }
        func all() -> [Result<WorkerOutput, Error>?] { slots.withLock { $0 } }
    }

    /// Walks `file` once over its mapping with up to two workers; see `oneRead`.
    static func walk(_ file: MappedFile, pieces unsorted: [Piece], tensors: [TensorEntry], scan: Bool, threads: Int,
                     chunk: Int, progress: ProgressCounter?) throws -> Walked {
        let pieces = unsorted.sorted { $0.offset < $1.offset }
        let workers = threads >= 2 ? 2 : 1
        let steps = (file.size + chunk - 1) / chunk
        let outputs = WorkerOutputs(count: workers)

        let work: @Sendable (Int) -> Void = { w in
            let hashesFile = w == 0, hashesTensors = w == workers - 1
            let result = Result<WorkerOutput, Error> {
                var fileHasher = try SHA256Hasher()
                var hashers: [Int: SHA256Hasher] = [:]
                var totals: [Int: TensorScan.Accumulator] = [:]
                if hashesTensors { for p in pieces where hashers[p.tensor] == nil { hashers[p.tensor] = try SHA256Hasher() } }
                if scan { for p in pieces where totals[p.tensor] == nil { totals[p.tensor] = .init(dtype: tensors[p.tensor].dtype) } }
                // One lend of the whole mapping: a truncation during it is absorbed by the SIGBUS guard
                // and reported when the lend ends; nothing computed from the zeros it reads is returned.
                try file.withBytes(offset: 0, count: file.size) { all in
                    var next = 0  // first piece that may still reach into the current step
                    var unreported = 0  // progress is passed on every few MiB, not every step
                    defer { if unreported > 0 { progress?.add(unreported) } }
                    for step in 0..<steps {
                        if unreported >= chunkSize {
                            progress?.add(unreported)
                            unreported = 0
                        }
                        let lo = step * chunk, hi = min(lo + chunk, file.size)
                        if hashesFile {
                            fileHasher.update(UnsafeRawBufferPointer(rebasing: all[lo..<hi]))
                            unreported += hi - lo
                        }
                        let scans = scan && step % workers == w
                        guard hashesTensors || scans else { continue }
                        while next < pieces.count, pieces[next].end <= lo { next += 1 }
                        var p = next
                        while p < pieces.count, pieces[p].offset < hi {
                            let piece = pieces[p]
                            p += 1
                            let from = max(piece.offset, lo), to = min(piece.end, hi)
                            guard from < to else { continue }
                            if hashesTensors {
                                hashers[piece.tensor]!.update(UnsafeRawBufferPointer(rebasing: all[from..<to]))
                                unreported += to - from
                            }
                            if scans {
                                // The elements that start in this step, read whole even past its end.
                                let unit = TensorScan.Accumulator.unitBytes(tensors[piece.tensor].dtype)
                                let first = (from - piece.offset + unit - 1) / unit, last = (to - piece.offset + unit - 1) / unit
                                guard first < last else { continue }
                                let start = piece.offset + first * unit, stop = piece.offset + last * unit
                                totals[piece.tensor]!.add(UnsafeRawBufferPointer(rebasing: all[start..<stop]),
                                                          firstElement: piece.firstElement + first)
                                unreported += stop - start
                            }
                        }
                    }
                }
                var out = WorkerOutput()
                if hashesFile { out.fileDigest = fileHasher.finalizeHex() }
                if hashesTensors {
                    // Zero-byte pieces (empty tensors) never meet a step; their hashers stay empty, as they should.
                    out.tensorDigests = hashers.map { t, h in var h = h; return (t, h.finalizeHex()) }
                }
                out.scans = totals
                return out
            }
            outputs.set(w, result)
        }
        if workers == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: work) }

        let results = try outputs.all().map { try $0!.get() }
        var totals: [Int: TensorScan.Accumulator] = [:]
        for r in results {
            for (t, part) in r.scans { totals[t, default: .init(dtype: part.dtype)].merge(part) }
        }
        return Walked(file: results[0].fileDigest!, tensors: results[workers - 1].tensorDigests,
                      scans: totals.map { t, acc in (t, acc.result(elementCount: tensors[t].elementCount)) })
    }
}
