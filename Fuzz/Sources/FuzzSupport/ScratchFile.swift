import CkptKit
#if canImport(Glibc)
import Glibc
#endif

/// One reusable scratch file per fuzzer process: the bytes of each input are written there and opened
/// through the same `MappedFile` path the CLI uses, so the fuzzer exercises the real open path
/// (length word, header bounds, mapping) and not only the pure header parser.
public enum ScratchFile {
    /// `$CKPT_FUZZ_DIR` (default `/dev/shm`, a tmpfs, so iterations do not touch the disk).
    public static let directory: String = {
        if let d = getenv("CKPT_FUZZ_DIR") { return String(cString: d) }
        return FileSystem.kind(of: "/dev/shm") == .directory ? "/dev/shm" : "/tmp"
    }()

    /// A path unique to this process and `tag`.
    public static func path(_ tag: String) -> String {
        FileSystem.join(directory, "ckpt-fuzz-\(tag)-\(getpid())")
    }

    /// Replaces the file at `path` with `bytes`.
    public static func write(_ bytes: UnsafeRawBufferPointer, to path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        precondition(fd >= 0, "cannot create scratch file \(path): errno \(errno)")
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            precondition(n > 0, "cannot write scratch file \(path): errno \(errno)")
            done += n
        }
    }
}

/// Reads the input as a stream of small choices; past the end every choice is 0, so any input,
/// including the empty one, decodes to something.
public struct ByteStream {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    public var isAtEnd: Bool { position >= bytes.count }

    public mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    /// A value in `0..<bound` (bound ≥ 1).
    public mutating func below(_ bound: Int) -> Int { Int(byte()) % bound }

    /// Up to `count` raw bytes (fewer at the end of the input).
    public mutating func take(_ count: Int) -> [UInt8] {
        let n = max(0, min(count, bytes.count - position))
        defer { position += n }
        return Array(bytes[position..<position + n])
    }
}
