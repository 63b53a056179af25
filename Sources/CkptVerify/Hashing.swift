import CkptCheckpoint
import CkptForward
import CkptFormat
import CkptLayout
import Crypto
import Dispatch
import Foundation

/// Counts bytes of multi-second work for a progress display. Thread-safe: workers add from any thread.
public final class ProgressCounter: @unchecked Sendable {  // `done` is read and written only under `lock`
    /// Total bytes the work will touch.
    public let total: Int
    private let lock = NSLock()
    private var done = 0
    private let onChange: @Sendable (Int, Int) -> Void

    /// `onChange(done, total)` is called after every chunk, from the worker's thread.
    public init(total: Int, onChange: @escaping @Sendable (Int, Int) -> Void) {
        self.total = total
        self.onChange = onChange
    }

    /// Records `bytes` more done and calls `onChange`.
    public func add(_ bytes: Int) {
        lock.lock()
        done += bytes
        let now = done
        lock.unlock()
        onChange(now, total)
    }
}

/// SHA-256 of files and tensors, streamed in chunks over the memory mapping.
public enum Hashing {
    /// Bytes hashed between progress updates; large enough that the update costs nothing.
    static let chunkSize = 8 << 20

    /// Lowercase hex of a digest.
    package static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in digest { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// SHA-256 of a whole file.
    package static func sha256(of file: MappedFile, progress: ProgressCounter? = nil) throws -> String {
        var hasher = SHA256()
        try feed(&hasher, file: file, offset: 0, count: file.size, progress: progress)
        return hex(hasher.finalize())
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
        var hasher = SHA256()
        for segment in segments {
            switch segment {
            case let .file(file, offset, count):
                try feed(&hasher, file: file, offset: offset, count: count, progress: progress)
            case let .memory(bytes):
                hasher.update(data: bytes)
                progress?.add(bytes.count)
            }
        }
        return hex(hasher.finalize())
    }

    // Reads with pread into a private buffer rather than hashing the mapping in place: a file that
    // shrinks while it is hashed then gives an error instead of a SIGBUS.
    private static func feed(_ hasher: inout SHA256, file: MappedFile, offset: Int, count: Int,
                             progress: ProgressCounter?) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: min(chunkSize, max(count, 1)), alignment: 64)
        defer { buffer.deallocate() }
        var position = offset
        let end = offset + count
        while position < end {
            let n = min(buffer.count, end - position)
            let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n])
            try file.read(into: chunk, at: position)
            hasher.update(bufferPointer: UnsafeRawBufferPointer(chunk))
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
    private final class Results: @unchecked Sendable {  // `slots` is read and written only under `lock`
        private let lock = NSLock()
        private var slots: [Result<String, Error>?]
        init(count: Int) { slots = Array(repeating: nil, count: count) }
        func set(_ i: Int, _ r: Result<String, Error>) { lock.lock(); slots[i] = r; lock.unlock() }
        func values() throws -> [String] {
            lock.lock()
            defer { lock.unlock() }
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
