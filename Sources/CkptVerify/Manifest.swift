import CkptCheckpoint
import CkptCore
import CkptLayout
/// A release manifest (`ckpt.manifest/1`): what a signed-off checkpoint holds, down to the SHA-256 of
/// every tensor's bytes, so `ckpt verify --manifest` can prove a candidate is exactly that release.
///
/// Schema, members in this order:
/// - `schema`: `"ckpt.manifest/1"`
/// - `source`: how the checkpoint is stored (`safetensors`, `safetensors.zst`, `hf-directory`, `sharded-directory`)
/// - `files`: `[{name, bytes, sha256}]` by base name: the files holding the tensors (a `.zst` file as
///   stored) and, for a Hugging Face folder, its `config.json` and shard index first
/// - `tensor_count`, `parameters`, `tensor_bytes`: integers
/// - `dtypes`: the distinct tensor dtypes, sorted
/// - `layout`: the detected layout (`ckpt inspect --json`'s `layout` section) or null when none fits
/// - `architecture`: one-line summary of the detected architecture, or null
/// - `metadata`: the safetensors `__metadata__` object, or null
/// - `tensors`: `[{name, dtype, shape, bytes, sha256}]` sorted by name (UTF-8 bytes)
public struct Manifest: Equatable, Sendable {
    /// The `schema` member of the JSON.
    public static let schema = "ckpt.manifest/1"

    /// One file of the release.
    public struct File: Equatable, Sendable {
        /// The base name.
        public var name: String
        /// Size in bytes.
        public var bytes: Int
        /// Lowercase hex SHA-256 of the file as stored.
        public var sha256: String
    }

    /// One tensor of the release.
    public struct Tensor: Equatable, Sendable {
        /// The tensor name.
        public var name: String
        /// The dtype name (`F32`, …).
        public var dtype: String
        /// The shape.
        public var shape: [Int]
        /// Bytes of data.
        public var bytes: Int
        /// Lowercase hex SHA-256 of the tensor's bytes.
        public var sha256: String
    }

    /// How the checkpoint is stored (`Checkpoint.SourceKind`'s raw value).
    public var source: String
    /// The files, as in the schema.
    public var files: [File]
    /// Elements over all tensors.
    public var parameters: Int
    /// Bytes of tensor data over all tensors.
    public var tensorBytes: Int
    /// The detected layout section, or `.null`.
    public var layout: JSONValue
    /// The detected architecture's summary, or nil.
    public var architecture: String?
    /// safetensors `__metadata__`, or nil.
    public var metadata: [(String, String)]?
    /// Every tensor, sorted by name.
    public var tensors: [Tensor]

    /// Equal when their JSON is.
    public static func == (a: Manifest, b: Manifest) -> Bool {
        a.json == b.json
    }

    /// The distinct dtypes, sorted.
    public var dtypes: [String] { Array(Set(tensors.map(\.dtype))).sorted() }

    // MARK: - Building

    /// Hashes `checkpoint` (every file and every tensor) into a manifest.
    /// - Parameters:
    ///   - layout: the detected layout's JSON (`DetectedLayout.json`), or `.null`.
    ///   - architecture: the detected architecture's summary, if any.
    ///   - threads: hashing workers (2 uses both cores: one on the file, one on the tensors).
    public static func build(_ checkpoint: Checkpoint, layout: JSONValue = .null, architecture: String? = nil,
                             threads: Int = 1, progress: ProgressCounter? = nil) throws -> Manifest {
        try build(checkpoint, layout: layout, architecture: architecture, scan: false, threads: threads, progress: progress).0
    }

    /// `build`, plus `TensorScan.scan` of every tensor (in checkpoint order) from the same read of
    /// the bytes: `verify --manifest` checks values and hashes in one pass.
    package static func buildScanning(_ checkpoint: Checkpoint, layout: JSONValue = .null, architecture: String? = nil,
                                     threads: Int = 1, progress: ProgressCounter? = nil) throws -> (Manifest, [TensorScan.Result]) {
        try build(checkpoint, layout: layout, architecture: architecture, scan: true, threads: threads, progress: progress)
    }

    private static func build(_ checkpoint: Checkpoint, layout: JSONValue, architecture: String?, scan: Bool,
                              threads: Int, progress: ProgressCounter?) throws -> (Manifest, [TensorScan.Result]) {
        let storedFiles = try filesAsStored(checkpoint)
        let read = try Hashing.oneRead(files: storedFiles, tensors: checkpoint.tensors, scan: scan, threads: threads,
                                       progress: progress)
        let digests = read.digests
        for f in storedFiles { try f.checkUnchanged() }
        let files = storedFiles.enumerated().map { i, f in
            File(name: FileSystem.baseName(f.path), bytes: f.size, sha256: digests[i])
        }
        let tensors = checkpoint.tensors.enumerated().map { i, t in
            Tensor(name: t.name, dtype: t.dtype.rawValue, shape: t.shape, bytes: t.byteCount,
                   sha256: digests[storedFiles.count + i])
        }
        let manifest = Manifest(source: checkpoint.kind.rawValue, files: files, parameters: checkpoint.parameterCount,
                                tensorBytes: checkpoint.byteCount, layout: layout, architecture: architecture,
                                metadata: checkpoint.metadata, tensors: tensors)
        return (manifest, read.scans)
    }

    /// The files as they sit on disk: a `.zst` checkpoint is hashed compressed, as it was shipped; a
    /// Hugging Face folder adds its `config.json` and shard index, which change what loads.
    static func filesAsStored(_ checkpoint: Checkpoint) throws -> [MappedFile] {
        switch checkpoint.kind {
        case .zstd:
            return [try MappedFile(path: checkpoint.path)]
        case .directory, .shardedDirectory:
            var extra: [MappedFile] = []
            for name in ["config.json", "model.safetensors.index.json"] {
                let path = FileSystem.join(checkpoint.path, name)
                if FileSystem.kind(of: path) == .file { extra.append(try MappedFile(path: path)) }
            }
            return extra + checkpoint.files
        default:
            return checkpoint.files
        }
    }

    /// Bytes a `build` hashes, for a progress display.
    package static func workBytes(_ checkpoint: Checkpoint) -> Int {
        let files = ((try? filesAsStored(checkpoint)) ?? checkpoint.files).reduce(0) { $0 + $1.size }
        return files + checkpoint.byteCount
    }

    // MARK: - JSON

    /// The manifest in the `ckpt.manifest/1` schema.
    public var json: JSONValue {
        .object([
            ("schema", .string(Self.schema)),
            ("source", .string(source)),
            ("files", .array(files.map { f in
                .object([("name", .string(f.name)), ("bytes", .int(f.bytes)), ("sha256", .string(f.sha256))])
            })),
            ("tensor_count", .int(tensors.count)),
            ("parameters", .int(parameters)),
            ("tensor_bytes", .int(tensorBytes)),
            ("dtypes", .array(dtypes.map { .string($0) })),
            ("layout", layout),
            ("architecture", architecture.map { .string($0) } ?? .null),
            ("metadata", metadata.map { .object($0.map { ($0.0, .string($0.1)) }) } ?? .null),
            ("tensors", .array(tensors.map { t in
                .object([
                    ("name", .string(t.name)),
                    ("dtype", .string(t.dtype)),
                    ("shape", Shapes.json(t.shape)),
                    ("bytes", .int(t.bytes)),
                    ("sha256", .string(t.sha256)),
                ])
            })),
        ])
    }

    /// Reads a manifest file. Every member is checked; a wrong one is named in the error.
    public static func load(_ path: String) throws -> Manifest {
        let bytes = try FileSystem.readSmallFile(path)
        let value: JSONValue
        do { value = try StrictJSONParser.parse(bytes) } catch let e as JSONError {
            throw CkptError.unsupportedInput(path: path, reason: "manifest is not valid JSON: \(e)")
        }
        return try parse(value, path: path)
    }

    /// Decodes a `ckpt.manifest/1` document.
    public static func parse(_ value: JSONValue, path: String) throws -> Manifest {
        func fail(_ reason: String) -> CkptError { .unsupportedInput(path: path, reason: "not a \(schema) manifest: \(reason)") }
        guard value.objectValue != nil else { throw fail("the document is \(value.kindName), not an object") }
        guard value["schema"]?.stringValue == schema else {
            throw fail("\"schema\" is \(value["schema"].map { JSONWriter.compact($0) } ?? "absent")")
        }
        func string(_ v: JSONValue?, _ what: String) throws -> String {
            guard let s = v?.stringValue else { throw fail("\(what) must be a string") }
            return s
        }
        func int(_ v: JSONValue?, _ what: String) throws -> Int {
            guard let n = v?.intValue, n >= 0 else { throw fail("\(what) must be a non-negative integer") }
            return n
        }
        func sha(_ v: JSONValue?, _ what: String) throws -> String {
            let s = try string(v, what)
            guard s.utf8.count == 64, s.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
                throw fail("\(what) must be 64 lowercase hex digits")
            }
            return s
        }
        guard let fileValues = value["files"]?.arrayValue else { throw fail("\"files\" must be an array") }
        let files = try fileValues.enumerated().map { i, f in
            File(name: try string(f["name"], "files[\(i)].name"), bytes: try int(f["bytes"], "files[\(i)].bytes"),
                 sha256: try sha(f["sha256"], "files[\(i)].sha256"))
        }
        guard let tensorValues = value["tensors"]?.arrayValue else { throw fail("\"tensors\" must be an array") }
        var seen = Set<String>()
        let tensors = try tensorValues.enumerated().map { i, t -> Tensor in
            let name = try string(t["name"], "tensors[\(i)].name")
            guard seen.insert(name).inserted else { throw fail("tensor \"\(name)\" is listed twice") }
            let dtype = try string(t["dtype"], "tensors[\(i)].dtype (\(name))")
            guard DType(rawValue: dtype) != nil else { throw fail("tensors[\(i)].dtype (\(name)) \"\(dtype)\" is not a safetensors dtype") }
            guard let dims = t["shape"]?.arrayValue else { throw fail("tensors[\(i)].shape (\(name)) must be an array") }
            let shape = try dims.map { try int($0, "tensors[\(i)].shape (\(name))") }
            return Tensor(name: name, dtype: dtype, shape: shape, bytes: try int(t["bytes"], "tensors[\(i)].bytes (\(name))"),
                          sha256: try sha(t["sha256"], "tensors[\(i)].sha256 (\(name))"))
        }
        var metadata: [(String, String)]? = nil
        if let m = value["metadata"], m != .null {
            guard let members = m.objectValue else { throw fail("\"metadata\" must be an object or null") }
            metadata = try members.map { ($0.0, try string($0.1, "metadata.\($0.0)")) }
        }
        let architecture = value["architecture"].flatMap { $0 == .null ? nil : $0.stringValue }
        return Manifest(source: try string(value["source"], "\"source\""), files: files,
                        parameters: try int(value["parameters"], "\"parameters\""),
                        tensorBytes: try int(value["tensor_bytes"], "\"tensor_bytes\""),
                        layout: value["layout"] ?? .null, architecture: architecture, metadata: metadata,
                        tensors: tensors)
    }
}
