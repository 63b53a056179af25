import CkptCheckpoint
import CkptCore
import CkptLayout

/// A RAD-DINO-style weight release as one thing: a folder holding the Hugging Face files
/// (`model.safetensors`, `config.json`, `preprocessor_config.json`), the same backbone in the original
/// layout (`backbone_compatible.safetensors`) and the DINOHead (`dino_head.safetensors`).
public enum ReleaseBundle {
    /// The checkpoints of a bundle; the raw value is the file that holds its tensors.
    public enum Part: String, CaseIterable, Sendable {
        /// The HF backbone: the folder's `config.json` + `model.safetensors`, read as one HF checkpoint.
        case hf = "model.safetensors"
        /// The original-layout backbone.
        case backbone = "backbone_compatible.safetensors"
        /// The DINOHead.
        case head = "dino_head.safetensors"

        /// The layout the part must have (nil: the head, which has one layout of its own).
        public var layout: LayoutKind? {
            switch self {
            case .hf: return .hf
            case .backbone: return .dinov2
            case .head: return nil
            }
        }

        /// The `--expect` spec of the part in a RAD-DINO release.
        public var raddinoSpec: String { self == .head ? "raddino-head" : "raddino" }
    }

    /// Every file a bundle must hold, sorted.
    public static let requiredFiles = [Part.backbone.rawValue, configName, Part.head.rawValue, Part.hf.rawValue, preprocessorName].sorted()
    /// Files a model repository carries that are not weights (the Hub adds `.gitattributes` and a model
    /// card): pinned by the manifest, checked for nothing else.
    public static let documentFiles: Set<String> = [".gitattributes", "README.md", "LICENSE", "LICENSE.md", "LICENSE.txt"]
    /// The folder huggingface_hub writes into a `--local-dir` download (`_local_folder.py`), skipped.
    public static let localDirMetadata = ".cache"
    static let configName = "config.json"
    static let preprocessorName = "preprocessor_config.json"

    /// The files of the bundle folder `dir`, sorted, leaving out `excluding` (the manifest or golden case
    /// a user keeps inside the folder), with what is missing and what is not part of a bundle.
    package static func listing(_ dir: String, excluding: [FileIdentity] = []) throws
        -> (present: [String], missing: [String], unknown: [String]) {
        guard FileSystem.kind(of: dir) == .directory else {
            throw CkptError.unsupportedInput(path: dir, reason: "a release bundle must be a folder (\(requiredFiles.joined(separator: ", ")))")
        }
        let names = try FileSystem.contents(of: dir).filter { name in
            // `hf download --local-dir` keeps its download records in .cache/huggingface: not the release's.
            if name == localDirMetadata, FileSystem.kind(of: FileSystem.join(dir, name)) == .directory { return false }
            guard let id = FileIdentity.of(path: FileSystem.join(dir, name)) else { return true }
            return !excluding.contains(id)
        }
        let missing = requiredFiles.filter { !names.contains($0) }
        let unknown = names.filter { !requiredFiles.contains($0) && !documentFiles.contains($0) }
        return (names.filter { !unknown.contains($0) }, missing, unknown)
    }

    /// The checkpoint a part is read from: the HF part is the folder (config.json + model.safetensors).
    package static func open(_ part: Part, in dir: String) throws -> Checkpoint {
        part == .hf ? try Checkpoint.open(dir) : try Checkpoint.open(FileSystem.join(dir, part.rawValue))
    }

    /// Pins every file of the bundle at `dir`: a `ckpt.manifest/1` manifest of each checkpoint part and
    /// the SHA-256 of every file. A bundle with a file missing or an unknown file is refused, naming them.
    public static func manifest(_ dir: String, threads: Int = 1, progress: ProgressCounter? = nil) throws -> ReleaseManifest {
        let listing = try listing(dir)
        var problems = listing.missing.map { "\($0) is missing" }
        problems += listing.unknown.map { "\($0) is not a file of a release bundle (\(requiredFiles.joined(separator: ", ")))" }
        if !problems.isEmpty { throw CkptError.invalidDirectory(path: dir, problems: problems) }
        var parts: [(Part, Manifest)] = []
        var hashes: [String: Manifest.File] = [:]
        for part in Part.allCases {
            let checkpoint = try open(part, in: dir)
            let detected = try? Layouts.detect(checkpoint)
            let m = try Manifest.build(checkpoint, layout: detected?.json ?? .null,
                                       architecture: detected?.architecture?.summary ?? detected?.head?.summary,
                                       threads: threads, progress: progress)
            parts.append((part, m))
            // The part manifests already hash their files (config.json with the HF weights): not again.
            for f in m.files { hashes[f.name] = f }
        }
        for name in listing.present where hashes[name] == nil {
            let path = FileSystem.join(dir, name)
            let file = try MappedFile(path: path)
            hashes[name] = Manifest.File(name: name, bytes: file.size, sha256: try Hashing.sha256(of: file))
        }
        return ReleaseManifest(files: listing.present.map { hashes[$0]! }, parts: parts)
    }

    /// Bytes `manifest` hashes, for a progress display.
    public static func workBytes(_ dir: String) -> Int {
        Part.allCases.reduce(0) { sum, part in sum + ((try? open(part, in: dir)).map(Manifest.workBytes) ?? 0) }
    }
}

/// The signed-off state of a release bundle (schema `ckpt.release/1`): members `schema`; `files`
/// (`[{name, bytes, sha256}]`, every file of the folder, sorted by name); `parts` (an object from
/// each checkpoint file — `model.safetensors`, `backbone_compatible.safetensors`, `dino_head.safetensors`
/// — to its `ckpt.manifest/1` manifest).
public struct ReleaseManifest: Equatable, Sendable {
    /// The `schema` member.
    public static let schema = "ckpt.release/1"
    /// Every file, sorted by name.
    public var files: [Manifest.File]
    /// The manifest of each checkpoint part, in `ReleaseBundle.Part` order.
    public var parts: [(ReleaseBundle.Part, Manifest)]

    /// Equal when their JSON is.
    public static func == (a: ReleaseManifest, b: ReleaseManifest) -> Bool { a.json == b.json }

    /// The manifest of `part`, if pinned.
    public func manifest(of part: ReleaseBundle.Part) -> Manifest? { parts.first { $0.0 == part }?.1 }

    /// The document in the `ckpt.release/1` schema.
    public var json: JSONValue {
        .object([
            ("schema", .string(Self.schema)),
            ("files", .array(files.map { f in
                .object([("name", .string(f.name)), ("bytes", .int(f.bytes)), ("sha256", .string(f.sha256))])
            })),
            ("parts", .object(parts.map { ($0.0.rawValue, $0.1.json) })),
        ])
    }

    /// Reads a `ckpt.release/1` file; a wrong member is named in the error.
    public static func load(_ path: String) throws -> ReleaseManifest {
        let value: JSONValue
        do { value = try StrictJSONParser.parse(try FileSystem.readSmallFile(path)) } catch let e as JSONError {
            throw CkptError.unsupportedInput(path: path, reason: "release manifest is not valid JSON: \(e)")
        }
        func fail(_ reason: String) -> CkptError { .unsupportedInput(path: path, reason: "not a \(schema) release manifest: \(reason)") }
        guard value["schema"]?.stringValue == schema else {
            throw fail("\"schema\" is \(value["schema"].map { JSONWriter.compact($0) } ?? "absent")")
        }
        guard let fileValues = value["files"]?.arrayValue, case .object(let partValues)? = value["parts"] else {
            throw fail("\"files\" (array) and \"parts\" (object) are required")
        }
        let files = try fileValues.enumerated().map { i, f in
            guard let name = f["name"]?.stringValue, let bytes = f["bytes"]?.intValue, bytes >= 0,
                  let sha = f["sha256"]?.stringValue, sha.utf8.count == 64, sha.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
                throw fail("files[\(i)] must be {name, bytes, sha256 (64 lowercase hex digits)}")
            }
            return Manifest.File(name: name, bytes: bytes, sha256: sha)
        }
        var parts: [(ReleaseBundle.Part, Manifest)] = []
        for (name, v) in partValues {
            guard let part = ReleaseBundle.Part(rawValue: name) else {
                throw fail("\"parts\" has \"\(name)\"; expected \(ReleaseBundle.Part.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            parts.append((part, try Manifest.parse(v, path: "\(path) (parts.\(name))")))
        }
        return ReleaseManifest(files: files, parts: parts)
    }
}
