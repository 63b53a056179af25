import CkptCore
/// A value built by the restricted unpickler. Only plain data and the torch objects a state dict is
/// made of can be represented; there is no case for "an object of some class", so nothing outside
/// this list can ever be constructed.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer that does not fit in 64 bits; only its size in bytes is kept (state dicts never need it).
    case bigInt(byteCount: Int)
    case float(Double)
    case string(String)
    /// Bytes or bytearray; only the length is kept.
    case bytes(count: Int)
    case tuple([PickleValue])
    /// Lists, sets and frozensets (mutable while unpickling, shared through the memo).
    case list(PickleList)
    /// dict and OrderedDict, in insertion order.
    case dict(PickleDict)
    /// A reference to an allow-listed global, waiting to be called by REDUCE (or used as a storage type).
    case global(TorchGlobal)
    /// A storage from the archive (the result of a persistent id).
    case storage(PthStorage)
    /// A tensor view over a storage (the result of `_rebuild_tensor_v2` or `_rebuild_parameter`).
    case tensor(PthTensor)

    /// Python-ish name of the value's type, for messages and notes.
    var kindName: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .global: return "global"
        case .storage: return "storage"
        case .tensor: return "tensor"
        }
    }

    /// Short rendering of a scalar for notes (`12`, `0.5`, `"abc"`), or the kind for containers.
    var scalarText: String {
        switch self {
        case .none: return "None"
        case let .bool(b): return b ? "True" : "False"
        case let .int(i): return String(i)
        case let .bigInt(n): return "a \(n)-byte integer"
        case let .float(d): return String(d)
        case let .string(s): return s.count <= 40 ? "\"\(s)\"" : "\"\(s.prefix(37))...\""
        case let .bytes(n): return "\(n) bytes"
        default: return kindName
        }
    }
}

/// A list shared by reference, as in Python (APPENDS after a memo PUT must be seen through BINGET).
final class PickleList {
    var items: [PickleValue] = []
}

/// A dict shared by reference, keys in insertion order; re-setting a key keeps its position.
final class PickleDict {
    private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    private var positions: [String: Int] = [:]

    /// Sets `key`; string and int keys replace an earlier equal key, other keys are appended.
    func set(_ key: PickleValue, _ value: PickleValue) {
        let id: String?
        switch key {
        case let .string(s): id = "s" + s
        case let .int(i): id = "i" + String(i)
        default: id = nil
        }
        if let id, let at = positions[id] {
            entries[at].value = value
            return
        }
        if let id { positions[id] = entries.count }
        entries.append((key, value))
    }

    func removeAll() {
        entries = []
        positions = [:]
    }
}

/// A storage record of the archive: `archive/data/<key>` holding `count` elements of `dtype`
/// (`U8` bytes for an untyped storage).
struct PthStorage {
    let key: String
    let dtype: DType
    let count: Int
    /// Absolute file offset of the record's first byte.
    let fileOffset: Int

    var byteCount: Int { count * dtype.byteWidth! }  // checked against the record when resolved
}

/// A tensor as torch rebuilds it: a strided view over a storage.
struct PthTensor {
    let storage: PthStorage
    /// The storage's dtype, or the explicit one of `_rebuild_tensor_v3` over an untyped storage.
    let dtype: DType
    /// In elements.
    let storageOffset: Int
    let shape: [Int]
    /// In elements; torch never writes negative strides.
    let stride: [Int]
}
