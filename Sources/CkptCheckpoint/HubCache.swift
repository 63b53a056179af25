import CkptCore
#if canImport(Glibc)
import Glibc
#endif

/// A model named the way the Hugging Face Hub names it, `ORG/NAME[@REVISION]`, looked up in the local
/// Hugging Face cache only: ckpt never uses the network.
public struct HubModelName: Sendable, Equatable, CustomStringConvertible {
    /// The repository id, `ORG/NAME`.
    public let repoID: String
    /// A branch, tag or (full or short) commit hash; nil means `main`.
    public let revision: String?

    /// Parses `ORG/NAME` or `ORG/NAME@REVISION`; nil for anything else (a path with more than one `/`, a
    /// name with characters the Hub does not allow, `..` or `--` in it, an empty revision).
    public init?(_ text: String) {
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        let repo = String(parts[0])
        let pieces = repo.split(separator: "/", omittingEmptySubsequences: false)
        guard pieces.count == 2, pieces.allSatisfy({ Self.isRepoPart($0) }),
              !repo.contains("--"), !repo.contains("..") else { return nil }
        if parts.count == 2 {
            let revision = String(parts[1])
            // A revision is a ref name under refs/ (it may hold `/`, as in refs/pr/1) or a commit hash.
            guard !revision.isEmpty, !revision.hasPrefix("/"), !revision.hasSuffix("/"),
                  !revision.split(separator: "/").contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }),
                  !revision.utf8.contains(0) else { return nil }
            self.revision = revision
        } else {
            self.revision = nil
        }
        repoID = repo
    }

    /// The name as the user writes it.
    public var description: String { revision.map { "\(repoID)@\($0)" } ?? repoID }

    /// The cache folder of the repository, `models--ORG--NAME` (huggingface_hub's `repo_folder_name`).
    public var folderName: String { "models--" + repoID.replacingSlash(with: "--") }

    /// Letters, digits, `-`, `_` and `.`, not starting or ending with `-` or `.` (the Hub's repo-id rule).
    private static func isRepoPart(_ part: Substring) -> Bool {
        guard let first = part.first, let last = part.last,
              first != "-", first != ".", last != "-", last != "." else { return false }
        return part.unicodeScalars.allSatisfy {
            ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-" || $0 == "_" || $0 == "."
        }
    }
}

/// One revision of a model in the local Hugging Face cache.
public struct HubSnapshot: Sendable, Equatable {
    /// The name it was asked for by.
    public let name: HubModelName
    /// The commit the revision resolved to (40 hex digits, as the snapshot folder is named).
    public let commit: String
    /// `<cache>/models--ORG--NAME/snapshots/<commit>`.
    public let path: String
    /// The canonical cache folder every file of the snapshot resolves inside.
    public let cacheRoot: String
}

/// The local Hugging Face cache, read the way huggingface_hub lays it out: `models--ORG--NAME/refs/<ref>`
/// holds a commit hash, `snapshots/<commit>/` holds the files as symbolic links into `blobs/`.
public enum HubCache {
    /// The cache folder huggingface_hub uses (its `constants.HF_HUB_CACHE`): `$HF_HUB_CACHE`, else the
    /// legacy `$HUGGINGFACE_HUB_CACHE`, else `$HF_HOME/hub`, else `$XDG_CACHE_HOME/huggingface/hub`,
    /// else `~/.cache/huggingface/hub`.
    public static func folder(environment: [String: String] = HubCache.processEnvironment()) -> String {
        func value(_ key: String) -> String? { environment[key].flatMap { $0.isEmpty ? nil : expandHome($0, environment) } }
        if let hub = value("HF_HUB_CACHE") ?? value("HUGGINGFACE_HUB_CACHE") { return hub }
        if let home = value("HF_HOME") { return FileSystem.join(home, "hub") }
        let cache = value("XDG_CACHE_HOME") ?? FileSystem.join(environment["HOME"] ?? "~", ".cache")
        return FileSystem.join(FileSystem.join(cache, "huggingface"), "hub")
    }

    /// Where a checkpoint argument points: the argument itself when something exists there or it is no
    /// Hub name, else the snapshot folder the name resolves to in the cache (throws when it does not).
    public static func locate(_ argument: String,
                              environment: [String: String] = HubCache.processEnvironment()) throws -> (path: String, snapshot: HubSnapshot?) {
        guard FileSystem.kind(of: argument) == .missing, !FileSystem.isSymlink(argument),
              !fileSuffixes.contains(where: { argument.hasSuffix($0) }),
              let name = HubModelName(argument) else { return (argument, nil) }
        let snapshot = try resolve(name, cache: folder(environment: environment))
        return (snapshot.path, snapshot)
    }

    /// Resolves `name` in the cache folder `cache`: the ref (or commit hash) to a snapshot folder whose
    /// files all resolve to regular files inside the cache.
    public static func resolve(_ name: HubModelName, cache: String) throws -> HubSnapshot {
        let repo = FileSystem.join(cache, name.folderName)
        func fail(_ problem: HubCacheProblem) -> CkptError { .hubCache(name: name.description, problem: problem) }
        guard FileSystem.kind(of: repo) == .directory, let root = FileSystem.realPath(cache) else {
            throw fail(.notCached(searched: repo))
        }
        let revision = name.revision ?? "main"
        let refs = FileSystem.join(repo, "refs")
        let snapshots = FileSystem.join(repo, "snapshots")
        let refPath = FileSystem.join(refs, revision)
        let commit: String
        if FileSystem.kind(of: refPath) == .file {
            let text = String(decoding: try FileSystem.readSmallFile(refPath, limit: 4096), as: UTF8.self)
            let trimmed = text.trimmingASCIIWhitespace()
            guard isCommitHash(trimmed) else { throw fail(.badRef(ref: refPath, content: trimmed)) }
            commit = trimmed
        } else if isHex(revision), revision.count >= minimumShortHash, revision.count <= 40 {
            let known = FileSystem.kind(of: snapshots) == .directory ? try FileSystem.contents(of: snapshots) : []
            let matches = known.filter { isCommitHash($0) && $0.hasPrefix(revision.lowercased()) }
            if matches.count > 1 { throw fail(.ambiguousRevision(revision: revision, candidates: matches)) }
            guard let only = matches.first else { throw fail(.unknownRevision(revision: revision, refs: refs, known: knownRevisions(refs: refs, snapshots: snapshots))) }
            commit = only
        } else {
            throw fail(.unknownRevision(revision: revision, refs: refs, known: knownRevisions(refs: refs, snapshots: snapshots)))
        }
        let snapshot = FileSystem.join(snapshots, commit)
        guard FileSystem.kind(of: snapshot) == .directory else {
            throw fail(.snapshotMissing(revision: revision, commit: commit, searched: snapshot))
        }
        try checkConfined(snapshot, root: root, fail: fail)
        return HubSnapshot(name: name, commit: commit, path: snapshot, cacheRoot: root)
    }

    /// A missing `dir/model.safetensors` is a mistyped path, not a repository: it keeps the "no such
    /// file" error.
    static let fileSuffixes = [".safetensors", ".zst", ".pth", ".pt", ".bin", ".json"]

    /// Git's shortest abbreviation; shorter prefixes match too much to mean one commit.
    static let minimumShortHash = 4

    /// Every entry of the snapshot (recursively) must resolve inside the cache to a file or folder; a
    /// link that escapes the cache or dangles (its blob is missing) is refused before anything reads it.
    static func checkConfined(_ dir: String, root: String, fail: (HubCacheProblem) -> CkptError) throws {
        for entry in try FileSystem.contents(of: dir) {
            let path = FileSystem.join(dir, entry)
            guard let real = FileSystem.realPath(path) else {
                throw fail(.danglingLink(path: path, target: FileSystem.linkTarget(path) ?? "?"))
            }
            guard real.hasPrefix(root + "/") else { throw fail(.escapesCache(path: path, target: real, cache: root)) }
            if FileSystem.kind(of: path) == .directory, !FileSystem.isSymlink(path) {
                try checkConfined(path, root: root, fail: fail)
            }
        }
    }

    static func knownRevisions(refs: String, snapshots: String) -> [String] {
        var out: [String] = []
        func walk(_ dir: String, _ prefix: String) {
            for entry in (try? FileSystem.contents(of: dir)) ?? [] {
                let path = FileSystem.join(dir, entry)
                if FileSystem.kind(of: path) == .directory { walk(path, prefix + entry + "/") } else { out.append(prefix + entry) }
            }
        }
        walk(refs, "")
        out += ((try? FileSystem.contents(of: snapshots)) ?? []).filter(isCommitHash)
        return out
    }

    static func isHex(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) || (65...70).contains($0) }
    }

    static func isCommitHash(_ s: String) -> Bool { s.utf8.count == 40 && isHex(s) && s == s.lowercased() }

    static func expandHome(_ path: String, _ environment: [String: String]) -> String {
        guard path == "~" || path.hasPrefix("~/"), let home = environment["HOME"] else { return path }
        return home + path.dropFirst()
    }

    /// The variables `folder(environment:)` reads, from the process environment (tests pass their own).
    public static func processEnvironment() -> [String: String] {
        var out: [String: String] = [:]
        for key in ["HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME", "HOME"] {
            if let value = getenv(key) { out[key] = String(cString: value) }
        }
        return out
    }
}

extension String {
    fileprivate func replacingSlash(with separator: String) -> String {
        split(separator: "/", omittingEmptySubsequences: false).joined(separator: separator)
    }

    fileprivate func trimmingASCIIWhitespace() -> String {
        let bytes = Array(utf8)
        let isSpace: (UInt8) -> Bool = { $0 == 32 || $0 == 9 || $0 == 10 || $0 == 13 }
        guard let start = bytes.firstIndex(where: { !isSpace($0) }), let end = bytes.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(decoding: bytes[start...end], as: UTF8.self)
    }
}

extension Checkpoint {
    /// Opens a snapshot of the Hugging Face cache as an HF folder, its files confined to the cache;
    /// the first note says which revision and commit were read.
    public static func open(_ snapshot: HubSnapshot) throws -> Checkpoint {
        let c = try HFDirectory.open(snapshot.path, confinedTo: snapshot.cacheRoot)
        let note = "\(snapshot.name) is the Hugging Face cache snapshot \(snapshot.commit) (\(snapshot.path))"
        return Checkpoint(path: c.path, kind: c.kind, tensors: c.tensors, metadata: c.metadata, config: c.config,
                          files: c.files, otherInputs: c.otherInputs, notes: [note] + c.notes)
    }
}
