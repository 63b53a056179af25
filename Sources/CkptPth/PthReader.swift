import CkptCore
/// Opens a `torch.save` checkpoint (`.pth`/`.pt`, the zip format of torch ≥ 1.6) without running
/// any of its pickle code.
///
/// The archive holds `<prefix>/data.pkl` (the pickled object tree), `<prefix>/data/<key>` (one stored
/// record per storage), `<prefix>/byteorder` and `<prefix>/version`. The pickle is interpreted by
/// `PickleMachine` with the `TorchGlobal` allow-list; storages become ranges of the mapped file.
/// Tensors reached through string-keyed dicts are named by joining the keys with `.`
/// (`{"teacher": {"backbone.x": t}}` → `teacher.backbone.x`). Anything else — optimizer state under
/// integer keys, lists, scalars such as `iteration` — is skipped and reported in `notes`.
package enum PthReader {
    /// The tensors of a torch checkpoint and what was skipped to get them.
    package struct Contents: Sendable {
        /// The tensors, named by their dict path, their bytes ranges of the archive's mapping.
        package let tensors: [TensorEntry]
        /// What the reader skipped (optimizer state, scalars such as `iteration`), one line each.
        package let notes: [String]
    }

    /// Deepest dict nesting followed when naming tensors.
    static let maxDepth = 64
    /// Objects visited while flattening (shared subtrees are visited once per path).
    static let maxVisits = 10_000_000

    /// True for the extensions torch checkpoints are usually saved under.
    package static func hasTorchExtension(_ path: String) -> Bool {
        path.hasSuffix(".pth") || path.hasSuffix(".pt")
    }

    /// True when `file` starts with the zip magic a `torch.save` archive has.
    package static func hasZipMagic(_ file: MappedFile) -> Bool { ZipArchive.hasZipMagic(file) }

    /// Reads `file` as a torch zip checkpoint.
    package static func read(_ file: MappedFile, path: String) throws -> Contents {
        func fail(_ problem: String) -> CkptError { .malformedPth(path: path, problem: problem) }
        guard ZipArchive.hasZipMagic(file) else {
            throw fail("not a zip archive; only the zip format of torch.save (torch 1.6 and later) is supported, re-save legacy files with a current torch")
        }
        let zip = try ZipArchive(file)
        guard let first = zip.first, let slash = first.name.firstIndex(of: "/") else {
            throw fail("the zip archive has no torch record folder (expected <name>/data.pkl)")
        }
        let prefix = String(first.name[...slash])
        guard let pickleEntry = zip[prefix + "data.pkl"] else {
            throw fail("no \(prefix)data.pkl record; this zip archive is not a torch.save checkpoint")
        }
        if let order = zip[prefix + "byteorder"] {
            let text = String(decoding: try zip.read(order), as: UTF8.self)
            guard text == "little" else {
                throw fail(text == "big"
                           ? "the archive was written on a big-endian machine (byteorder \"big\"); ckpt reads little-endian archives only"
                           : "byteorder record says \"\(text)\", expected \"little\"")
            }
        }
        var storages: [String: PthStorage] = [:]
        var machine = PickleMachine(path: path) { pid in
            try resolveStorage(pid, zip: zip, prefix: prefix, cache: &storages, fail: fail)
        }
        defer { machine.breakReferenceCycles() }
        let root = try machine.run(try zip.read(pickleEntry))
        guard case let .dict(dict) = root else {
            throw fail("the top-level object is a \(root.kindName), not a dict of tensors")
        }
        var flattener = Flattener(path: path)
        try flattener.walk(dict, name: "", depth: 0)
        var entries: [TensorEntry] = []
        var seen = Set<String>()
        var budget = StridedLayout.GatherBudget(archiveSize: file.size)
        for (name, tensor) in flattener.tensors {
            guard seen.insert(name).inserted else {
                throw fail("two tensors flatten to the same name \"\(name)\" (dict keys containing dots)")
            }
            entries.append(TensorEntry(name: name, dtype: tensor.dtype, shape: tensor.shape,
                                       segments: try StridedLayout.segments(of: tensor, name: name, file: file, budget: &budget),
                                       sourcePath: path))
        }
        return Contents(tensors: entries, notes: flattener.notes)
    }

    /// A persistent id `('storage', <StorageClass>, key, location, numel)` → the storage record,
    /// checked against the archive: the record exists and holds exactly `numel` elements.
    static func resolveStorage(_ pid: PickleValue, zip: ZipArchive, prefix: String,
                               cache: inout [String: PthStorage], fail: (String) -> CkptError) throws -> PickleValue {
        guard case let .tuple(t) = pid, t.count == 5, case .string("storage") = t[0] else {
            throw fail("pickle: persistent id is not a ('storage', type, key, location, numel) tuple")
        }
        guard case let .global(.storageType(dtype)) = t[1] else {
            throw fail("pickle: persistent id names a \(t[1].kindName) instead of a storage class")
        }
        guard case let .string(key) = t[2], case .string = t[3], case let .int(count) = t[4], count >= 0 else {
            throw fail("pickle: persistent id has a malformed key, location or numel")
        }
        if let known = cache[key] {
            guard known.dtype == dtype, known.count == count else {
                throw fail("storage \"\(key)\" is declared twice, as \(known.count) × \(known.dtype.rawValue) and \(count) × \(dtype.rawValue)")
            }
            return .storage(known)
        }
        let recordName = prefix + "data/" + key
        guard let record = zip[recordName] else { throw fail("storage \"\(key)\" has no record \(recordName) in the archive") }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteWidth!)
        guard !overflow, bytes == record.size else {
            throw fail("storage \"\(key)\" is declared with numel \(count) (\(overflow ? "overflowing" : String(bytes)) bytes of \(dtype.rawValue)) but its record \(recordName) holds \(record.size) bytes")
        }
        let storage = PthStorage(key: key, dtype: dtype, count: count, fileOffset: record.dataOffset)
        cache[key] = storage
        return .storage(storage)
    }

    /// Names the tensors of the object tree and notes what is skipped.
    struct Flattener {
        let path: String
        var tensors: [(String, PthTensor)] = []
        var notes: [String] = []
        var visits = 0

        mutating func walk(_ dict: PickleDict, name: String, depth: Int) throws {
            visits += dict.entries.count + 1
            guard depth < PthReader.maxDepth, visits <= PthReader.maxVisits else {
                throw CkptError.malformedPth(path: path, problem: "the object tree is too deep or too large at \"\(name)\" (cyclic or shared many times)")
            }
            if let key = dict.entries.first(where: { if case .string = $0.key { return false } else { return true } })?.key {
                // Integer keys (optimizer state) cannot be tensor names: skip the whole dict.
                let tensorCount = try count(.dict(dict), depth: depth)
                notes.append("\(name.isEmpty ? "top level" : name): skipped, a dict with \(key.kindName) keys (\(dict.entries.count) entries, \(tensorCount) tensors)")
                return
            }
            for (key, value) in dict.entries {
                guard case let .string(k) = key else { continue }
                let child = name.isEmpty ? k : name + "." + k
                switch value {
                case let .tensor(t): tensors.append((child, t))
                case let .dict(d): try walk(d, name: child, depth: depth + 1)
                case .list, .tuple:
                    let n = try count(value, depth: depth)
                    let items: Int
                    if case let .list(l) = value { items = l.items.count } else if case let .tuple(t) = value { items = t.count } else { items = 0 }
                    notes.append("\(child): skipped, a \(value.kindName) of \(items) (\(n) tensors)")
                default:
                    notes.append("\(child): skipped, \(value.kindName) \(value.scalarText)")
                }
            }
        }

        /// Tensors in a skipped subtree (for the note), bounded in depth and visits.
        mutating func count(_ v: PickleValue, depth: Int) throws -> Int {
            visits += 1
            guard visits <= PthReader.maxVisits, depth < PthReader.maxDepth else {
                throw CkptError.malformedPth(path: path, problem: "the object tree is too deep or too large (cyclic or shared many times)")
            }
            switch v {
            case .tensor: return 1
            case let .dict(d): return try d.entries.reduce(0) { $0 + (try count($1.value, depth: depth + 1)) }
            case let .list(l): return try l.items.reduce(0) { $0 + (try count($1, depth: depth + 1)) }
            case let .tuple(t): return try t.reduce(0) { $0 + (try count($1, depth: depth + 1)) }
            default: return 0
            }
        }
    }
}
