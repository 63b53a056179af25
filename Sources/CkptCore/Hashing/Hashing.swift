import Dispatch

/// Counts bytes of multi-second work for a progress display. Thread-safe: workers add from any thread.
public final class ProgressCounter: Sendable {
    /// Total bytes the work will touch.
    public let total: Int
    private let done = Locked(0)
    private let onChange: @Sendable (Int, Int) -> Void

    /// `onChange(done, total)` is called after every chunk, from the worker's thread.
    public init(total: Int, onChange: @escaping @Sendable (Int, Int) -> Void) {
        self.total = total
        self.onChange = onChange
    }

    /// Records `bytes` more done and calls `onChange`.
    public func add(_ bytes: Int) {
        let now = done.withLock { done in
            done += bytes
            return done
        }
        onChange(now, total)
    }
}

/// SHA-256 of files and tensors, in chunks over the memory mapping (lends covered by the SIGBUS guard,
/// so a file that shrinks while it is hashed is an error, not a crash).
public enum Hashing {
    /// Bytes hashed between progress updates; large enough that the update costs nothing.
    package static let chunkSize = 8 << 20

    /// Lowercase hex of a digest.
    package static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in digest { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// SHA-256 of a whole file.
    package static func sha256(of file: MappedFile, progress: ProgressCounter? = nil) throws -> String {
        var hasher = try SHA256Hasher()
        try feed(&hasher, file: file, offset: 0, count: file.size, progress: progress)
        return hasher.finalizeHex()
    }

    /// SHA-256 of the whole file at `path`.
    public static func sha256(file path: String) throws -> String {
        try sha256(of: MappedFile(path: path))
    }

    /// SHA-256 of a tensor's bytes, in order across its segments.
    public static func sha256(of entry: TensorEntry, progress: ProgressCounter? = nil) throws -> String {
        try sha256(entry.segments, progress: progress)
    }

    /// SHA-256 of the bytes of `segments`, in order.
    package static func sha256(_ segments: [ByteSegment], progress: ProgressCounter? = nil) throws -> String {
        var hasher = try SHA256Hasher()
        for segment in segments {
            switch segment {
            case let .file(file, offset, count):
                try feed(&hasher, file: file, offset: offset, count: count, progress: progress)
            case .memory, .floats:
                segment.withMemoryBytes { hasher.update($0) }
                progress?.add(segment.count)
            }
        }
        return hasher.finalizeHex()
    }

    // Hashes the mapping in place (no copy), one lend per chunk so progress moves and a shrunk
    // file is noticed at the next chunk.
    private static func feed(_ hasher: inout SHA256Hasher, file: MappedFile, offset: Int, count: Int,
                             progress: ProgressCounter?) throws {
        var position = offset
        let end = offset + count
        while position < end {
            let n = min(chunkSize, end - position)
            try file.withBytes(offset: position, count: n) { hasher.update($0) }
            position += n
            progress?.add(n)
        }
    }

    /// One unit of hashing work.
    package enum Job: Sendable {
        case file(MappedFile)
        case tensor(TensorEntry)

        var byteCount: Int {
            switch self {
            case let .file(f): return f.size
            case let .tensor(t): return t.byteCount
            }
        }
    }

    /// Hashes every job and returns the hex digests in job order, spreading the jobs over `threads`
    /// workers. Jobs are dealt largest first to the least loaded worker, so a single file plus its
    /// tensors splits into one worker hashing the file and one hashing the tensors.
    package static func sha256(_ jobs: [Job], threads: Int, progress: ProgressCounter? = nil) throws -> [String] {
        let workers = max(1, min(threads, jobs.count))
        var bins = [[Int]](repeating: [], count: workers)
        var loads = [Int](repeating: 0, count: workers)
        for i in jobs.indices.sorted(by: { jobs[$0].byteCount > jobs[$1].byteCount }) {
            let w = loads.indices.min { loads[$0] < loads[$1] }!
            bins[w].append(i)
            loads[w] += jobs[i].byteCount
        }
        let results = Results(count: jobs.count)
        let dealt = bins
        let work: @Sendable (Int) -> Void = { w in
            for i in dealt[w] {
                do {
                    switch jobs[i] {
                    case let .file(f): results.set(i, .success(try sha256(of: f, progress: progress)))
                    case let .tensor(t): results.set(i, .success(try sha256(of: t, progress: progress)))
                    }
                } catch {
                    results.set(i, .failure(error))
                    return
                }
            }
        }
        if workers == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: work) }
        return try results.values()
    }

    /// Per-job results written by the workers.
    private final class Results: Sendable {
        private let slots: Locked<[Result<String, Error>?]>
        init(count: Int) { slots = Locked(Array(repeating: nil, count: count)) }
        func set(_ i: Int, _ r: Result<String, Error>) { slots.withLock { $0[i] = r } }
        func values() throws -> [String] {
            let slots = self.slots.withLock { $0 }
            // The first failure in job order wins; a worker stops at its first failure, leaving nil slots.
            for case let .failure(e)? in slots { throw e }
            return slots.map { slot in
                if case let .success(s)? = slot { return s }
                preconditionFailure("every job either succeeded or a failure was thrown above")
            }
        }
    }
}

extension TensorEntry {
    /// Lowercase hex SHA-256 of the tensor's bytes.
    package func sha256() throws -> String { try Hashing.sha256(segments) }
}
