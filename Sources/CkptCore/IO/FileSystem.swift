import Glibc

/// Device and inode of a file: equal identities are the same file, whatever the spelling of the path.
public struct FileIdentity: Hashable, Sendable {
    /// `st_dev` of the file.
    public let device: UInt64
    /// `st_ino` of the file.
    public let inode: UInt64

    /// The identity of the file at `path` (following symlinks), or nil when it does not exist.
    public static func of(path: String) -> FileIdentity? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }
}

/// Small path helpers over POSIX calls.
package enum FileSystem {
    package enum Kind { case missing, file, directory, other }

    package static func kind(of path: String) -> Kind {
        var st = stat()
        guard stat(path, &st) == 0 else { return .missing }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// True for a symbolic link at `path` itself (not followed).
    package static func isSymlink(_ path: String) -> Bool {
        var st = stat()
        guard lstat(path, &st) == 0 else { return false }
        return (st.st_mode & S_IFMT) == S_IFLNK
    }

    /// The target of the symbolic link at `path` as written in the link, or nil.
    package static func linkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n >= 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The canonical absolute path (symlinks, `.` and `..` resolved), or nil when it does not exist.
    package static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    /// Creates the folder `path` and any missing parents (mode 0755). Returns true when this call
    /// created `path` itself, false when it already was a folder; refuses a file.
    package static func createDirectory(_ path: String) throws -> Bool {
        var path = path
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        switch kind(of: path) {
        case .directory: return false
        case .file, .other: throw CkptError.unsupportedInput(path: path, reason: "output must be a folder")
        case .missing:
            let parent = directoryName(path)
            if parent != path, kind(of: parent) == .missing { _ = try createDirectory(parent) }
            guard mkdir(path, 0o755) == 0 else {
                let e = errno
                if e == EEXIST, kind(of: path) == .directory { return false }
                throw CkptError.io(path: path, operation: "mkdir", code: e)
            }
            return true
        }
    }

    package static func directoryName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = String(path[..<slash])
        return dir.isEmpty ? "/" : dir
    }

    package static func baseName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    package static func join(_ dir: String, _ name: String) -> String {
        dir.hasSuffix("/") ? dir + name : dir + "/" + name
    }

    /// Names in a directory (without `.` and `..`), sorted.
    package static func contents(of dir: String) throws -> [String] {
        guard let d = opendir(dir) else { throw CkptError.io(path: dir, operation: "opendir", code: errno) }
        defer { closedir(d) }
        var names: [String] = []
        while let entry = readdir(d) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// The whole regular file at `path`, read with `pread` into memory the caller owns (no mapping is lent,
    /// so a file shrinking underneath is `CkptError.inputResized`, not a SIGBUS). Opened like every input
    /// (`MappedFile`): O_NONBLOCK, so a FIFO is refused instead of waiting for a writer.
    package static func readFile(_ path: String) throws -> [UInt8] {
        let file = try MappedFile(path: path)
        return try [UInt8](unsafeUninitializedCapacity: file.size) { buffer, count in
            try file.read(into: UnsafeMutableRawBufferPointer(buffer), at: 0)
            count = file.size
        }
    }

    /// Reads a whole small file (configs, indexes); refuses files over `limit` bytes.
    package static func readSmallFile(_ path: String, limit: Int = 100_000_000) throws -> [UInt8] {
        let file = try MappedFile(path: path)
        guard file.size <= limit else {
            throw CkptError.unsupportedInput(path: path, reason: "\(file.size) bytes is over the \(limit)-byte limit for this file")
        }
        return try file.copyBytes(offset: 0, count: file.size)
    }
}
