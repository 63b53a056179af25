import CZstd
#if canImport(Glibc)
import Glibc
#endif

/// Streaming zstd decompression into an unlinked temporary file, which is then mapped like any
/// other input: memory stays bounded by the stream buffers and the frame's window whatever the
/// decompressed size. Disk use is bounded by what the safetensors header inside declares
/// (`SizeBound`): a zstd bomb ends with an error naming the sizes instead of filling `$TMPDIR`.
package enum Zstd {
    /// The zstd frame magic number (little-endian `28 B5 2F FD`).
    package static let magic: UInt32 = 0xFD2F_B528

    /// Largest window a frame may need, as a power of two: 2^25 = 32 MiB, what `zstd -20` uses at most.
    /// The decoder keeps a buffer of the window's size, filled as the frame decodes, so this bounds
    /// its memory; the library's default (2^27) would let a 33 KB frame of zeros take 128 MiB. Frames
    /// written with `--long` or `--ultra -21`/`-22` need more and are refused before anything is
    /// allocated, with a message saying how to recompress them.
    package static let maxWindowLog = 25

    /// True when the file starts with a zstd frame.
    package static func isCompressed(_ file: MappedFile) -> Bool {
        guard file.size >= 4, let word = try? file.withBytes(offset: 0, count: 4, { $0.loadUnaligned(as: UInt32.self) })
        else { return false }
        return UInt32(littleEndian: word) == magic
    }

    /// Decompresses `source` into a new anonymous temporary file and maps it.
    package static func decompressToTemporaryFile(_ source: MappedFile) throws -> MappedFile {
        let tmpdir = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array(FileSystem.join(tmpdir, "ckpt-zstd-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw CkptError.io(path: tmpdir, operation: "mkstemp", code: errno) }
        // Unlinked at once: the data lives only as long as the descriptor, even if ckpt is killed.
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        do {
            try decompress(source, into: fd)
        } catch {
            close(fd)
            throw error
        }
        return try MappedFile(adopting: fd, path: source.path)
    }

    private static func decompress(_ source: MappedFile, into fd: Int32) throws {
        guard let stream = ZSTD_createDStream() else {
            throw CkptError.zstd(path: source.path, reason: "cannot allocate a decompression stream")
        }
        defer { ZSTD_freeDStream(stream) }
        // The library checks each frame's window against this before it allocates the window buffer.
        guard ZSTD_isError(ZSTD_DCtx_setParameter(stream, ZSTD_d_windowLogMax, Int32(maxWindowLog))) == 0 else {
            throw CkptError.zstd(path: source.path, reason: "cannot set the window limit")
        }
        let outCapacity = ZSTD_DStreamOutSize()
        let out = UnsafeMutableRawPointer.allocate(byteCount: outCapacity, alignment: 64)
        defer { out.deallocate() }
        var pending: Int = 0  // last return value: 0 means a frame just ended.
        var sawFrame = false
        // The compressed bytes are read with pread, not through the mapping: a source that shrinks
        // while it is decompressed (a release being re-uploaded) then gives an error, not a SIGBUS.
        let inCapacity = ZSTD_DStreamInSize()
        let inBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: inCapacity, alignment: 64)
        defer { inBuffer.deallocate() }
        var consumed = 0
        var frameStart = 0  // source offset of the frame being decoded, for messages
        var bound = SizeBound()
        decompressing: while consumed < source.size {
            let n = min(inCapacity, source.size - consumed)
            let chunk = UnsafeMutableRawBufferPointer(rebasing: inBuffer[0..<n])
            try source.read(into: chunk, at: consumed)
            var input = ZSTD_inBuffer(src: chunk.baseAddress, size: n, pos: 0)
            // Keep going while input remains or the last call filled the output (more may be buffered).
            var outputFull = false
            repeat {
                var output = ZSTD_outBuffer(dst: out, size: outCapacity, pos: 0)
                let ret = ZSTD_decompressStream(stream, &output, &input)
                if ZSTD_isError(ret) != 0 {
                    if ZSTD_getErrorCode(ret) == ZSTD_error_frameParameter_windowTooLarge {
                        throw CkptError.zstd(path: source.path, reason: windowTooLarge(source, frameStart: frameStart))
                    }
                    let name = String(cString: ZSTD_getErrorName(ret))
                    throw CkptError.zstd(path: source.path, reason: "corrupt data: \(name)")
                }
                sawFrame = true
                pending = ret
                if ret == 0 { frameStart = consumed + input.pos }
                outputFull = output.pos == outCapacity
                try writeAll(fd, UnsafeRawBufferPointer(start: out, count: output.pos), path: source.path)
                if try bound.produced(output.pos, fd: fd, source: source.path) == .stop { break decompressing }
            } while input.pos < input.size || outputFull
            consumed += n
        }
        try source.checkUnchanged()
        if bound.stopped { return }
        if !sawFrame { throw CkptError.zstd(path: source.path, reason: "empty input") }
        if pending != 0 { throw CkptError.zstd(path: source.path, reason: "truncated: the last frame is incomplete") }
    }

    /// The refusal of a frame whose window is over `maxWindowLog`, with the window it claims.
    static func windowTooLarge(_ source: MappedFile, frameStart: Int) -> String {
        var header = [UInt8](repeating: 0, count: min(18, max(0, source.size - frameStart)))
        let window = (try? header.withUnsafeMutableBytes { try source.read(into: $0, at: frameStart) }).flatMap { claimedWindow(header) }
        let claim = window.map { "needs a \(byteText($0)) window" } ?? "needs a window"
        return "the frame at byte \(frameStart) \(claim), over ckpt's limit of \(byteText(1 << maxWindowLog)) "
            + "(zstd --long and --ultra -21/-22 write such frames); recompress with zstd -19, or decompress it with zstd -d first"
    }

    /// The window size a frame header claims (RFC 8878 §3.1.1.1), or nil when `header` is not one.
    static func claimedWindow(_ header: [UInt8]) -> UInt64? {
        guard header.count >= 6, header[0..<4].elementsEqual([0x28, 0xB5, 0x2F, 0xFD]) else { return nil }
        let descriptor = header[4]
        let singleSegment = descriptor & 0x20 != 0
        if !singleSegment {
            let exponent = UInt64(header[5] >> 3), mantissa = UInt64(header[5] & 7)
            let base: UInt64 = 1 << (10 + exponent)
            return base + base / 8 * mantissa
        }
        // Single segment: the window is the content size, after the dictionary id.
        let dictionaryBytes = [0, 1, 2, 4][Int(descriptor & 3)]
        let sizeBytes = [1, 2, 4, 8][Int(descriptor >> 6)]
        let at = 5 + dictionaryBytes
        guard header.count >= at + sizeBytes else { return nil }
        var size: UInt64 = 0
        for i in (0..<sizeBytes).reversed() { size = size << 8 | UInt64(header[at + i]) }
        return sizeBytes == 2 ? size + 256 : size
    }

    /// `33554432` as "32 MiB", `2199023255552` as "2 TiB" (powers of two in whole units; else bytes).
    static func byteText(_ n: UInt64) -> String {
        for (shift, unit) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] where n >= 1 << shift && n % (1 << shift) == 0 {
            return "\(n >> shift) \(unit)"
        }
        return "\(n)-byte"
    }

    /// Tracks the decompressed size against the safetensors header it starts with. Once the 8-byte
    /// length and the header are out, the file's whole size is known: it must fit in the free space
    /// of the temporary folder, and the stream may not run past it. A header that cannot be read
    /// stops the decompression early: opening the partial file then reports exactly what is wrong
    /// with it, as for an uncompressed file.
    struct SizeBound {
        enum Verdict { case more, stop }
        private(set) var written = 0
        private var headerLength: Int?
        private var expected: Int?
        private(set) var stopped = false

        mutating func produced(_ count: Int, fd: Int32, source: String) throws -> Verdict {
            written += count
            if headerLength == nil, written >= 8 {
                var word: UInt64 = 0
                guard pread(fd, &word, 8, 0) == 8 else { throw CkptError.io(path: source, operation: "read back", code: errno) }
                let length = UInt64(littleEndian: word)
                guard length <= UInt64(SafetensorsHeader.maxHeaderLength) else { return stop() }
                headerLength = Int(length)
            }
            if let headerLength, expected == nil, written >= 8 + headerLength {
                var header = [UInt8](repeating: 0, count: headerLength)
                let got = header.withUnsafeMutableBytes { pread(fd, $0.baseAddress, headerLength, 8) }
                guard got == headerLength else { throw CkptError.io(path: source, operation: "read back", code: errno) }
                guard let data = try? SafetensorsHeader.parseDeclaringSize(headerBytes: header).dataSize else { return stop() }
                let (total, overflow) = (8 + headerLength).addingReportingOverflow(data)
                var fs = statvfs()
                let free = fstatvfs(fd, &fs) == 0 ? Int(clamping: UInt64(fs.f_bavail) &* UInt64(fs.f_frsize)) : Int.max
                if overflow || total - written > free {
                    throw CkptError.zstd(path: source, reason: "its safetensors header describes \(overflow ? "more than \(Int.max)" : "\(total)") "
                        + "bytes, more than the \(free) bytes free where it is decompressed (set TMPDIR to a larger disk)")
                }
                expected = total
            }
            if let expected, written > expected {
                throw CkptError.zstd(path: source, reason: "decompresses past the \(expected) bytes its safetensors header describes")
            }
            return .more
        }

        private mutating func stop() -> Verdict {
            stopped = true
            return .stop
        }
    }

    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws {
        var done = 0
        while done < buffer.count {
            let n = write(fd, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw CkptError.io(path: path, operation: "write", code: errno)
            }
            done += n
        }
    }
}
