import CkptCore
#if canImport(Glibc)
import Glibc
#endif

/// Opens a Hugging Face model folder as one checkpoint: `config.json` plus `model.safetensors`, or
/// `model.safetensors.index.json` plus the shards it names.
package enum HFDirectory {
    package static let indexName = "model.safetensors.index.json"
    package static let singleName = "model.safetensors"
    /// The DINOHead RAD-DINO ships next to its HF weights.
    package static let headName = "dino_head.safetensors"

    /// Opens `dir`; shards must resolve inside `root` (default: `dir` itself; a Hub cache snapshot's
    /// shards are links into the cache's blobs, so there it is the cache folder).
    static func open(_ dir: String, confinedTo root: String? = nil) throws -> Checkpoint {
        let configPath = FileSystem.join(dir, "config.json")
        var config: JSONValue? = nil
        if FileSystem.kind(of: configPath) == .file {
            config = try parseJSON(configPath, in: dir)
        }
        let indexPath = FileSystem.join(dir, indexName)
        if FileSystem.kind(of: indexPath) == .file {
            return try openSharded(dir, indexPath: indexPath, config: config, confinedTo: root)
        }
        let single = FileSystem.join(dir, singleName)
        guard FileSystem.kind(of: single) == .file else {
            throw CkptError.invalidDirectory(path: dir, problems: ["no \(singleName) or \(indexName) in this folder"])
        }
        let file = try SafetensorsFile(path: single)
        return Checkpoint(file: file, kind: .directory, path: dir, config: config,
                          otherInputs: [FileIdentity.of(path: configPath)].compactMap { $0 })
    }

    static func parseJSON(_ path: String, in dir: String) throws -> JSONValue {
        let bytes = try FileSystem.readSmallFile(path)
        do {
            return try StrictJSONParser.parse(bytes)
        } catch let e as JSONError {
            throw CkptError.invalidDirectory(path: dir, problems: ["\(FileSystem.baseName(path)) is not valid JSON: \(e)"])
        }
    }

    /// Resolves a shard name from the index: it must be a plain file name inside `dir`.
    static func shardPath(_ name: String, dir: String, realDir: String?) -> (path: String?, problem: String?) {
        if name.isEmpty || name.contains("/") || name == "." || name == ".." || name.contains("\0") {
            return (nil, "shard name \"\(name)\" is not a plain file name in this folder")
        }
        let path = FileSystem.join(dir, name)
        if let realDir, let resolved = FileSystem.realPath(path), !resolved.hasPrefix(realDir + "/") {
            return (nil, "shard \"\(name)\" resolves to \(resolved), outside this folder")
        }
        return (path, nil)
    }

    static func openSharded(_ dir: String, indexPath: String, config: JSONValue?, confinedTo root: String?) throws -> Checkpoint {
        let index = try parseJSON(indexPath, in: dir)
        guard case let .object(weightMap)? = index["weight_map"] else {
            throw CkptError.invalidDirectory(path: dir, problems: ["\(indexName) has no \"weight_map\" object"])
        }
        var problems: [String] = []
        var wanted: [String: String] = [:]  // tensor → shard name
        var shardOrder: [String] = []
        for (key, value) in weightMap {
            guard case let .string(shard) = value else {
                problems.append("weight_map entry \"\(key)\" must name a shard file, found \(value.kindName)")
                continue
            }
            wanted[key] = shard
            if !shardOrder.contains(shard) { shardOrder.append(shard) }
        }
        let realDir = root ?? FileSystem.realPath(dir)
        var files: [SafetensorsFile] = []
        var seenIn: [String: String] = [:]  // tensor → shard it was found in
        var entries: [TensorEntry] = []
        // Shards in name order, so messages, `files` and the metadata source do not depend on index order.
        for shard in shardOrder.sorted() {
            let (path, problem) = shardPath(shard, dir: dir, realDir: realDir)
            guard let path else { problems.append(problem!); continue }
            let file: SafetensorsFile
            do {
                file = try SafetensorsFile(path: path)
            } catch let error as CkptError {
                problems.append("shard \"\(shard)\" cannot be read: \(error)")
                continue
            }
            files.append(file)
            for entry in Checkpoint.entries(of: file) {
                if let other = seenIn[entry.name] {
                    problems.append("tensor \"\(entry.name)\" is in both \"\(other)\" and \"\(shard)\"")
                    continue
                }
                seenIn[entry.name] = shard
                guard let expected = wanted[entry.name] else {
                    problems.append("tensor \"\(entry.name)\" in \"\(shard)\" is not in the weight_map")
                    continue
                }
                if expected != shard {
                    problems.append("tensor \"\(entry.name)\" is mapped to \"\(expected)\" but found in \"\(shard)\"")
                    continue
                }
                entries.append(entry)
            }
        }
        for (key, shard) in wanted.sorted(by: { $0.key < $1.key }) where seenIn[key] == nil {
            // Only report tensors whose shard was readable; unreadable shards are already reported.
            if files.contains(where: { FileSystem.baseName($0.path) == shard }) {
                problems.append("tensor \"\(key)\" is in the weight_map but missing from \"\(shard)\"")
            }
        }
        if !problems.isEmpty { throw CkptError.invalidDirectory(path: dir, problems: problems) }
        return Checkpoint(path: dir, kind: .shardedDirectory, tensors: entries,
                          metadata: files.first?.metadata, config: config, files: files.map(\.file),
                          otherInputs: [FileIdentity.of(path: FileSystem.join(dir, "config.json")), FileIdentity.of(path: indexPath)].compactMap { $0 })
    }
}
