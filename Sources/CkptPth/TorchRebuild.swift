import CkptCore
/// The fixed meaning of each allow-listed callable when a pickle REDUCEs it. Arguments are checked
/// for type; tensor geometry is checked against its storage later, when the tensor gets its name.
enum TorchRebuild {
    static func call(_ g: TorchGlobal, _ args: [PickleValue], fail: (String) -> CkptError) throws -> PickleValue {
        switch g {
        case .orderedDict:
            let d = PickleDict()
            if args.isEmpty { return .dict(d) }
            // OrderedDict(iterable of pairs)
            guard args.count == 1 else { throw fail("OrderedDict takes at most one argument, got \(args.count)") }
            let pairs: [PickleValue]
            switch args[0] {
            case let .list(l): pairs = l.items
            case let .tuple(t): pairs = t
            case let .dict(other): for (k, v) in other.entries { d.set(k, v) }; return .dict(d)
            default: throw fail("OrderedDict argument is a \(args[0].kindName)")
            }
            for p in pairs {
                guard case let .tuple(kv) = p, kv.count == 2 else { throw fail("OrderedDict item is not a (key, value) pair") }
                d.set(kv[0], kv[1])
            }
            return .dict(d)
        case .rebuildTensorV2, .rebuildTensor:
            // (storage, storage_offset, size, stride[, requires_grad, backward_hooks[, metadata]])
            let name = g == .rebuildTensor ? "_rebuild_tensor" : "_rebuild_tensor_v2"
            guard args.count >= 4, args.count <= 7 else { throw fail("\(name) got \(args.count) arguments") }
            guard case let .storage(storage) = args[0] else { throw fail("\(name) argument 0 is a \(args[0].kindName), not a storage") }
            guard case let .int(offset) = args[1] else { throw fail("\(name) storage_offset is a \(args[1].kindName)") }
            let shape = try ints(args[2], "\(name) size", fail)
            let stride = try ints(args[3], "\(name) stride", fail)
            return .tensor(PthTensor(storage: storage, dtype: storage.dtype, storageOffset: offset, shape: shape, stride: stride))
        case .rebuildTensorV3:
            // (storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype[, metadata])
            guard args.count == 7 || args.count == 8 else { throw fail("_rebuild_tensor_v3 got \(args.count) arguments") }
            guard case let .storage(storage) = args[0] else { throw fail("_rebuild_tensor_v3 argument 0 is a \(args[0].kindName), not a storage") }
            guard case let .int(offset) = args[1] else { throw fail("_rebuild_tensor_v3 storage_offset is a \(args[1].kindName)") }
            guard case let .global(.dtype(dtype)) = args[6] else { throw fail("_rebuild_tensor_v3 dtype is a \(args[6].kindName)") }
            guard storage.dtype == .u8 || storage.dtype == dtype else {
                throw fail("_rebuild_tensor_v3 views a \(storage.dtype.rawValue) storage as \(dtype.rawValue)")
            }
            return .tensor(PthTensor(storage: storage, dtype: dtype, storageOffset: offset,
                                     shape: try ints(args[2], "_rebuild_tensor_v3 size", fail),
                                     stride: try ints(args[3], "_rebuild_tensor_v3 stride", fail)))
        case .rebuildParameter, .rebuildParameterWithState:
            guard args.count == (g == .rebuildParameter ? 3 : 4), case .tensor = args[0] else {
                throw fail("_rebuild_parameter expects (tensor, requires_grad, hooks[, state])")
            }
            return args[0]
        case .codecsEncode:
            guard args.count == 2, case let .string(s) = args[0] else { throw fail("_codecs.encode expects (str, encoding)") }
            // latin1 (what protocol 2 uses) maps each character to one byte.
            return .bytes(count: s.unicodeScalars.count)
        case .storageType, .dtype:
            throw fail("a storage class is called directly; torch.save only names storage classes in persistent ids")
        }
    }

    private static func ints(_ v: PickleValue, _ what: String, _ fail: (String) -> CkptError) throws -> [Int] {
        guard case let .tuple(items) = v else { throw fail("\(what) is a \(v.kindName), not a tuple") }
        return try items.map {
            guard case let .int(i) = $0 else { throw fail("\(what) holds a \($0.kindName)") }
            return i
        }
    }
}
