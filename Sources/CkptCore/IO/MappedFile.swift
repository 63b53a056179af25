import CCkptShims
import Glibc

/// A read-only file mapped into memory: the one type in CkptKit that touches raw file memory.
///
/// Every access is bounds-checked against the size seen at open time and pointers never escape the
/// closures they are lent to. Streaming copies use `pread` through `read(into:at:)` instead of the
/// mapping; lends of the mapping itself are covered by the SIGBUS guard (`MappingGuard`), so a file
/// that shrinks underneath ckpt produces `CkptError.inputResized` rather than a SIGBUS.
package final class MappedFile: @unchecked Sendable {  // immutable after init; the read-only mapping is lent only inside closures and unmapped in deinit
    /// The path used in messages.
    package let path: String
    /// File size in bytes when it was opened.
    package let size: Int
    /// Device and inode, to recognise the same file under another name.
    package let identity: FileIdentity
    let fd: Int32
    private let modificationTime: timespec
    // Immutable after init; the mapping lives until deinit. nil for an empty file.
    private let base: UnsafeRawPointer?
    // The mapping's SIGBUS guard; nil for an empty file.
    private let faultGuard: MappingGuard?

    /// Opens and maps `path`. Costs O(1): no data page is touched.
    package convenience init(path: String) throws {
        // O_NONBLOCK: opening a FIFO (say, a shard name planted as a named pipe) would otherwise
        // wait forever for a writer; it has no effect on regular files, and init rejects the rest.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw CkptError.io(path: path, operation: "open", code: errno) }
        try self.init(adopting: fd, path: path)
    }

    /// Maps an already open descriptor, which the new object owns and closes.
    package init(adopting fd: Int32, path: String) throws {
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            close(fd)
            throw CkptError.io(path: path, operation: "fstat", code: e)
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw CkptError.unsupportedInput(path: path, reason: "not a regular file")
        }
        let size = Int(st.st_size)
        var mapped: UnsafeRawPointer? = nil
        if size > 0 {
            let p = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0)
            guard let p, p != MAP_FAILED else {
                let e = errno
                close(fd)
                throw CkptError.io(path: path, operation: "mmap", code: e)
            }
            mapped = UnsafeRawPointer(p)
        }
        self.fd = fd
        self.path = path
        self.size = size
        self.base = mapped
        self.faultGuard = mapped.map { MappingGuard($0, count: size) }
        self.identity = FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
        self.modificationTime = st.st_mtim
    }

    deinit {
        faultGuard?.release()
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
        close(fd)
    }

    private func checkRange(_ offset: Int, _ count: Int) throws {
        guard offset >= 0, count >= 0, offset <= size, count <= size - offset else {
            throw CkptError.inputChanged(path: path, reason: "read of \(count) bytes at offset \(offset) is past the end (\(size) bytes)")
        }
    }

    /// Throws when the file on disk is now shorter than `end` bytes. Touching a mapped page past the
    /// current end of file raises SIGBUS, so every lend of the mapping checks first; a truncation
    /// racing with the closure itself cannot be caught this way, which is why the streaming paths
    /// (writer, zstd) use `read(into:at:)` instead of the mapping.
    private func checkStillCovers(_ end: Int) throws {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw CkptError.io(path: path, operation: "fstat", code: errno) }
        if Int(st.st_size) < end {
            throw CkptError.inputResized(path: path, openedSize: size, currentSize: Int(st.st_size))
        }
    }

    /// Lends the bytes `[offset, offset + count)` of the mapping to `body`.
    package func withBytes<R>(offset: Int, count: Int, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try checkRange(offset, count)
        guard let base, count > 0 else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        try checkAbsorbedFault()
        try checkStillCovers(offset + count)
        // A truncation racing with `body` faults inside it; the guard absorbs the fault (the tail
        // reads zeros), and the check after `body` turns whatever `body` made of them into an error.
        let result: R
        do {
            result = try body(UnsafeRawBufferPointer(start: base + offset, count: count))
        } catch {
            try checkAbsorbedFault()
            throw error
        }
        try checkAbsorbedFault()
        return result
    }

    /// A copy of the bytes `[offset, offset + count)`.
    package func copyBytes(offset: Int, count: Int) throws -> [UInt8] {
        try withBytes(offset: offset, count: count) { Array($0) }
    }

    /// The little-endian u64 at `offset`, read without assuming alignment.
    package func loadUInt64LE(at offset: Int) throws -> UInt64 {
        try withBytes(offset: offset, count: 8) { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    }

    /// Lends `count` elements of `T` starting at byte `offset`: in place when the mapping is aligned for
    /// `T`, otherwise from an aligned copy. `T` must be a trivial type such as `Float` or `UInt16`.
    package func withElements<T, R>(of type: T.Type, offset: Int, count: Int,
                                   _ body: (UnsafeBufferPointer<T>) throws -> R) throws -> R {
        let (bytes, o) = count.multipliedReportingOverflow(by: MemoryLayout<T>.stride)
        // Counts come from validated tensors, whose byte ranges lie inside the file.
        precondition(!o, "\(path): element count \(count) overflows")
        return try withBytes(offset: offset, count: bytes) { raw in
            if let start = raw.baseAddress, Int(bitPattern: start) % MemoryLayout<T>.alignment == 0 {
                // Aligned, trivial type, read-only mapping: binding is sound for the closure's duration.
                return try body(UnsafeBufferPointer(start: start.assumingMemoryBound(to: T.self), count: count))
            }
            let copy = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                if count > 0 { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw) }
                initialized = count
            }
            return try copy.withUnsafeBufferPointer(body)
        }
    }

    /// Reads exactly `buffer.count` bytes at `offset` with `pread`. A short read means the file shrank.
    package func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw CkptError.io(path: path, operation: "read", code: errno)
            }
            if n == 0 {
                throw CkptError.inputResized(path: path, openedSize: size, currentSize: currentSize())
            }
            done += n
        }
    }

    /// Throws when the file on disk no longer has the size and modification time it had at open.
    package func checkUnchanged() throws {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw CkptError.io(path: path, operation: "fstat", code: errno) }
        if Int(st.st_size) != size {
            throw CkptError.inputResized(path: path, openedSize: size, currentSize: Int(st.st_size))
        }
        if st.st_mtim.tv_sec != modificationTime.tv_sec || st.st_mtim.tv_nsec != modificationTime.tv_nsec {
            throw CkptError.inputChanged(path: path, reason: "it was modified")
        }
    }

    /// Throws when the file no longer covers the size it had at open, or a fault in its mapping was
    /// absorbed: cheap (one fstat), for long computations over lent bytes to stop early.
    package func checkIntact() throws {
        try checkAbsorbedFault()
        try checkStillCovers(size)
    }

    /// Throws once the SIGBUS guard has absorbed a fault in this mapping: its tail now reads zeros.
    private func checkAbsorbedFault() throws {
        if faultGuard?.faulted == true {
            throw CkptError.inputResized(path: path, openedSize: size, currentSize: currentSize())
        }
    }

    /// The size on disk now, or nil when fstat fails.
    func currentSize() -> Int? {
        var st = stat()
        return fstat(fd, &st) == 0 ? Int(st.st_size) : nil
    }

    /// The raw descriptor, for the writer's kernel copies (`splice`, `copy_file_range`). Valid while this object lives.
    var descriptor: Int32 { fd }
}
