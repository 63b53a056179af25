import CkptCore
import CkptPth
import Glibc
/// A logical checkpoint: the tensors of one model, whether they sit in one safetensors file, a
/// zstd-compressed one, or a Hugging Face folder (single file or index + shards).
public final class Checkpoint: Sendable {
    /// How the checkpoint is stored.
    public enum SourceKind: String, Sendable {
        /// One `.safetensors` file.
        case safetensors = "safetensors"
        /// A zstd-compressed `.safetensors.zst` file (decompressed to an unlinked temporary file).
        case zstd = "safetensors.zst"
        /// A Hugging Face folder with one `model.safetensors`.
        case directory = "hf-directory"
        /// A Hugging Face folder with `model.safetensors.index.json` and its shards.
        case shardedDirectory = "sharded-directory"
        /// A `torch.save` zip archive (`.pth`/`.pt`), read without running its pickle.
        case pth = "pth"
    }

    /// The path as given.
    public let path: String
    /// How the checkpoint is stored (a file, a compressed file, an HF folder, `.pth`).
    public let kind: SourceKind
    /// Tensors sorted by name.
    public let tensors: [TensorEntry]
    /// safetensors `__metadata__` (of the single file, or the first shard), nil when absent.
    public let metadata: [(String, String)]?
    /// `config.json` of a Hugging Face folder, when present.
    public let config: JSONValue?
    /// Every file the tensors are read from.
    package let files: [MappedFile]
    /// Other input files that are not tensor sources: the `.zst` a checkpoint was decompressed from,
    /// a folder's `config.json` and index. Writers must not overwrite them either.
    public let otherInputs: [FileIdentity]
    /// What the reader skipped or wants the user to know (for `.pth`: optimizer state, scalars such
    /// as `iteration`); empty for safetensors inputs.
    public let notes: [String]
    private let index: [String: Int]

    package init(path: String, kind: SourceKind, tensors: [TensorEntry], metadata: [(String, String)]?,
                config: JSONValue?, files: [MappedFile], otherInputs: [FileIdentity] = [], notes: [String] = []) {
        self.path = path
        self.notes = notes
        self.kind = kind
        self.otherInputs = otherInputs
        self.tensors = tensors.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        self.metadata = metadata
        self.config = config
        self.files = files
        var index: [String: Int] = [:]
        for (i, t) in self.tensors.enumerated() { index[t.name] = i }
        self.index = index
    }

    /// The tensor named `name`, or nil.
    public subscript(name: String) -> TensorEntry? { index[name].map { tensors[$0] } }

    /// Every tensor name, sorted by UTF-8 bytes.
    public var names: [String] { tensors.map(\.name) }
    /// Elements over all tensors.
    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.elementCount } }
    /// Bytes of tensor data over all tensors (headers not counted).
    public var byteCount: Int { tensors.reduce(0) { $0 + $1.byteCount } }

    /// Identities of every input file, for the writer's output-is-input check.
    public var fileIdentities: [FileIdentity] { files.map(\.identity) + otherInputs }
    /// The paths of the files the tensors are read from, in order (one for a single file, every shard
    /// for a sharded folder).
    public var filePaths: [String] { files.map(\.path) }

    /// Opens a checkpoint: a `.safetensors` file, a zstd-compressed one, a Hugging Face folder, or a
    /// `torch.save` archive (recognised by its zip magic or a `.pth`/`.pt` name). A Hub name
    /// `ORG/NAME[@REVISION]` where no such path exists opens that snapshot of the local Hugging Face cache.
    public static func open(_ path: String) throws -> Checkpoint {
        if case let (_, snapshot?) = try HubCache.locate(path) { return try open(snapshot) }
        switch FileSystem.kind(of: path) {
        case .missing:
            throw CkptError.io(path: path, operation: "open", code: ENOENT)
        case .directory:
            return try HFDirectory.open(path)
        case .other:
            throw CkptError.unsupportedInput(path: path, reason: "not a regular file or folder")
        case .file:
            let mapped = try MappedFile(path: path)
            if PthReader.hasZipMagic(mapped) || PthReader.hasTorchExtension(path) {
                let contents = try PthReader.read(mapped, path: path)
                return Checkpoint(path: path, kind: .pth, tensors: contents.tensors, metadata: nil, config: nil,
                                  files: [mapped], notes: contents.notes)
            }
            if Zstd.isCompressed(mapped) {
                let st = try SafetensorsFile(file: Zstd.decompressToTemporaryFile(mapped))
                // The tensors come from an unlinked temporary file; the .zst itself must be protected too.
                return Checkpoint(file: st, kind: .zstd, path: path, otherInputs: [mapped.identity])
            }
            return Checkpoint(file: try SafetensorsFile(file: mapped), kind: .safetensors, path: path)
        }
    }

    /// A checkpoint over one validated safetensors file.
    package convenience init(file: SafetensorsFile, kind: SourceKind = .safetensors, path: String? = nil,
                            config: JSONValue? = nil, otherInputs: [FileIdentity] = []) {
        self.init(path: path ?? file.path, kind: kind, tensors: Checkpoint.entries(of: file),
                  metadata: file.metadata, config: config, files: [file.file], otherInputs: otherInputs)
    }

    static func entries(of file: SafetensorsFile) -> [TensorEntry] {
        file.tensors.map { t in
            TensorEntry(name: t.name, dtype: t.dtype, shape: t.shape,
                        segments: [.file(file.file, offset: file.fileOffset(of: t), count: t.byteCount)],
                        sourcePath: file.path)
        }
    }
}

