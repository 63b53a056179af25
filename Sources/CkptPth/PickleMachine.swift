import CkptCore
/// A restricted interpreter for pickle protocols 2–5 that builds plain `PickleValue`s.
///
/// It understands the opcodes a `torch.save` state dict uses and nothing that can reach code:
/// GLOBAL/STACK_GLOBAL resolve only through `TorchGlobal.allowList` (anything else is refused on the
/// spot, naming the global), REDUCE/NEWOBJ/BUILD only apply the fixed meanings of those globals, and
/// INST/OBJ, the extension registry (EXT*) and out-of-band buffers are refused. Stack, memo and mark
/// depth are bounded, and every read is bounds-checked, so hostile bytecode ends in a typed error.
struct PickleMachine {
    /// Limits that keep a hostile pickle from exhausting memory.
    struct Limits {
        var maxStack = 1 << 20
        var maxMemo = 1 << 19
        var maxMarks = 1 << 16
        /// Tuples inside tuples; torch.save needs 3. Releasing a chain of nested tuples is recursive, so a
        /// pickle of a million TUPLE1 opcodes (1 MB) would overflow the stack when the result is freed.
        var maxTupleDepth = 256
        /// Tuples, lists and dicts created; a state dict makes about five per tensor. Each costs ~100
        /// bytes or more, so this bounds what a small hostile pickle (a million `}` opcodes) can allocate.
        var maxContainers = 1 << 17
    }

    let path: String
    var limits = Limits()
    /// Turns a persistent id (torch: `('storage', type, key, location, numel)`) into a value.
    let persistentLoad: (PickleValue) throws -> PickleValue

    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    /// Nesting depth of every non-empty tuple built so far, by the address of its element buffer: a
    /// tuple's array is never mutated after construction, so the address identifies it while it lives,
    /// and a reused address is overwritten when the new tuple is built.
    private var tupleDepths: [UnsafeRawPointer: Int] = [:]
    private var containers = 0
    /// Every list and dict built, so that `breakReferenceCycles` empties each one: also those no
    /// longer on the stack or in the memo (a list holding itself, then popped or its memo slot reused).
    private(set) var built: [PickleValue] = []

    init(path: String, persistentLoad: @escaping (PickleValue) throws -> PickleValue) {
        self.path = path
        self.persistentLoad = persistentLoad
    }

    private func fail(_ problem: String) -> CkptError { .malformedPth(path: path, problem: "pickle: " + problem) }

    /// Runs `bytes` to its STOP opcode and returns the object it built.
    mutating func run(_ bytes: [UInt8]) throws -> PickleValue {
        var c = ByteCursor(bytes)
        do {
            while true {
                let at = c.position
                let op = try c.readByte()
                if op == 0x2E { // STOP
                    guard let top = stack.last, marks.isEmpty else { throw fail("STOP at offset \(at) with an unbalanced stack") }
                    return top
                }
                try step(op, at: at, &c)
                guard stack.count <= limits.maxStack else { throw fail("stack grew past \(limits.maxStack) items") }
            }
        } catch let e as ByteCursor.OutOfBounds {
            throw fail("truncated: needed \(e.needed) bytes at offset \(e.offset) of \(e.count)")
        }
    }

    /// Empties every list and dict the pickle built. A pickle can make containers that hold
    /// themselves (memo + APPEND), which reference counting never frees; call this once the result
    /// has been read, on success and failure alike. Tuples are values: every cycle runs through a
    /// list or a dict, so emptying those frees everything, with no walk over the object graph.
    mutating func breakReferenceCycles() {
        for value in built {
            switch value {
            case let .list(l): l.items = []
            case let .dict(d): d.removeAll()
            default: continue
            }
        }
        built = []
        stack = []
        memo = [:]
        tupleDepths = [:]
    }

    // MARK: - Stack helpers

    private mutating func push(_ v: PickleValue) { stack.append(v) }

    /// Pushes a newly created tuple, list or dict, counting it against `limits.maxContainers`.
    private mutating func pushNew(_ v: PickleValue, at: Int) throws {
        containers += 1
        guard containers <= limits.maxContainers else { throw fail("more than \(limits.maxContainers) tuples, lists and dicts at offset \(at)") }
        pushKeepingContainers(v)
    }

    /// Pushes `v`, remembering it when it is a list or dict (for `breakReferenceCycles`).
    private mutating func pushKeepingContainers(_ v: PickleValue) {
        switch v {
        case .list, .dict: built.append(v)
        default: break
        }
        push(v)
    }

    private mutating func pop(_ at: Int) throws -> PickleValue {
        guard let v = stack.popLast(), stack.count >= (marks.last ?? 0) else { throw fail("stack underflow at offset \(at)") }
        return v
    }

    private mutating func popToMark(_ at: Int) throws -> [PickleValue] {
        guard let m = marks.popLast(), m <= stack.count else { throw fail("no MARK for the opcode at offset \(at)") }
        defer { stack.removeSubrange(m...) }
        return Array(stack[m...])
    }

    /// Pushes a tuple of `items`, refusing one nested deeper than `limits.maxTupleDepth`.
    private mutating func pushTuple(_ items: [PickleValue], at: Int) throws {
        var depth = 1
        for case let .tuple(inner) in items where !inner.isEmpty {
            let d = inner.withUnsafeBufferPointer { tupleDepths[UnsafeRawPointer($0.baseAddress!)] } ?? 1
            depth = max(depth, d + 1)
        }
        guard depth <= limits.maxTupleDepth else { throw fail("tuples nested deeper than \(limits.maxTupleDepth) levels at offset \(at)") }
        if !items.isEmpty { items.withUnsafeBufferPointer { tupleDepths[UnsafeRawPointer($0.baseAddress!)] = depth } }
        try pushNew(.tuple(items), at: at)
    }

    private mutating func put(_ index: Int, at: Int) throws {
        guard let top = stack.last else { throw fail("memo PUT on an empty stack at offset \(at)") }
        guard memo[index] != nil || memo.count < limits.maxMemo else { throw fail("memo grew past \(limits.maxMemo) entries") }
        memo[index] = top
    }

    private mutating func get(_ index: Int, at: Int) throws {
        guard let v = memo[index] else { throw fail("memo GET of unknown index \(index) at offset \(at)") }
        push(v)
    }

    private mutating func pushGlobal(module: String, name: String) throws {
        if let dtype = TorchGlobal.unsupported[module + "." + name] {
            throw fail("\(module).\(name): tensors of dtype \(dtype) have no safetensors equivalent and are not supported")
        }
        guard let g = TorchGlobal.lookup(module: module, name: name) else {
            throw CkptError.unsafePickle(path: path, global: module + "." + name)
        }
        push(.global(g))
    }

    private func string(_ bytes: ArraySlice<UInt8>, at: Int) throws -> String {
        guard let s = String(validating: bytes, as: UTF8.self) else { throw fail("string at offset \(at) is not UTF-8") }
        return s
    }

    private func length(_ v: UInt64, at: Int) throws -> Int {
        guard v <= UInt64(Int.max) else { throw fail("length \(v) at offset \(at) is too large") }
        return Int(v)
    }

    // MARK: - Opcodes

    private mutating func step(_ op: UInt8, at: Int, _ c: inout ByteCursor) throws {
        switch op {
        case 0x80: // PROTO
            let version = try c.readByte()
            guard (2...5).contains(version) else { throw fail("protocol \(version) is not supported (2 to 5 are)") }
        case 0x95: // FRAME: a length hint; the frame's opcodes follow inline.
            let n = try c.readUInt(width: 8)
            guard n <= UInt64(c.remaining) else { throw fail("FRAME of \(n) bytes at offset \(at) runs past the end") }
        case 0x28: // MARK
            guard marks.count < limits.maxMarks else { throw fail("more than \(limits.maxMarks) nested MARKs") }
            marks.append(stack.count)
        case 0x30: _ = try pop(at) // POP
        case 0x31: _ = try popToMark(at) // POP_MARK
        case 0x32: // DUP
            guard let top = stack.last else { throw fail("DUP on an empty stack at offset \(at)") }
            push(top)
        case 0x4E: push(.none) // NONE
        case 0x88: push(.bool(true)) // NEWTRUE
        case 0x89: push(.bool(false)) // NEWFALSE
        case 0x4A: push(.int(Int(Int32(bitPattern: UInt32(try c.readUInt(width: 4)))))) // BININT
        case 0x4B: push(.int(Int(try c.readByte()))) // BININT1
        case 0x4D: push(.int(Int(try c.readUInt(width: 2)))) // BININT2
        case 0x8A: // LONG1
            let n = Int(try c.readByte())
            push(Self.long(try c.readBytes(n)))
        case 0x8B: // LONG4
            let n = try length(try c.readUInt(width: 4), at: at)
            push(Self.long(try c.readBytes(n)))
        case 0x47: // BINFLOAT: big-endian IEEE double
            let bits = try c.readBytes(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            push(.float(Double(bitPattern: bits)))
        case 0x8C: // SHORT_BINUNICODE
            let n = Int(try c.readByte())
            push(.string(try string(try c.readBytes(n), at: at)))
        case 0x58: // BINUNICODE
            let n = try length(try c.readUInt(width: 4), at: at)
            push(.string(try string(try c.readBytes(n), at: at)))
        case 0x8D: // BINUNICODE8
            let n = try length(try c.readUInt(width: 8), at: at)
            push(.string(try string(try c.readBytes(n), at: at)))
        case 0x55, 0x54: // SHORT_BINSTRING, BINSTRING: Python 2 str, read as Latin-1
            let n = op == 0x55 ? Int(try c.readByte()) : try length(try c.readUInt(width: 4), at: at)
            push(.string(String(try c.readBytes(n).map { Character(Unicode.Scalar($0)) })))
        case 0x43: // SHORT_BINBYTES
            let n = Int(try c.readByte())
            _ = try c.readBytes(n)
            push(.bytes(count: n))
        case 0x42, 0x8E, 0x96: // BINBYTES, BINBYTES8, BYTEARRAY8
            let n = try length(try c.readUInt(width: op == 0x42 ? 4 : 8), at: at)
            _ = try c.readBytes(n)
            push(.bytes(count: n))
        case 0x29: try pushNew(.tuple([]), at: at) // EMPTY_TUPLE
        case 0x74: try pushTuple(try popToMark(at), at: at) // TUPLE
        case 0x85, 0x86, 0x87: // TUPLE1..3
            let n = Int(op - 0x84)
            guard stack.count - (marks.last ?? 0) >= n else { throw fail("stack underflow at offset \(at)") }
            let items = Array(stack.suffix(n))
            stack.removeLast(n)
            try pushTuple(items, at: at)
        case 0x5D, 0x8F: try pushNew(.list(PickleList()), at: at) // EMPTY_LIST, EMPTY_SET
        case 0x6C, 0x91: // LIST, FROZENSET
            let list = PickleList()
            list.items = try popToMark(at)
            try pushNew(.list(list), at: at)
        case 0x61: // APPEND
            let v = try pop(at)
            try list(below: at).items.append(v)
        case 0x65, 0x90: // APPENDS, ADDITEMS
            let items = try popToMark(at)
            try list(below: at).items.append(contentsOf: items)
        case 0x7D: try pushNew(.dict(PickleDict()), at: at) // EMPTY_DICT
        case 0x64: // DICT
            let items = try popToMark(at)
            let d = PickleDict()
            try Self.setPairs(items, into: d, fail: { self.fail("odd number of items for DICT at offset \(at)") })
            try pushNew(.dict(d), at: at)
        case 0x73: // SETITEM
            let value = try pop(at), key = try pop(at)
            try dict(below: at).set(key, value)
        case 0x75: // SETITEMS
            let items = try popToMark(at)
            let d = try dict(below: at)
            try Self.setPairs(items, into: d, fail: { self.fail("odd number of items for SETITEMS at offset \(at)") })
        case 0x71: try put(Int(try c.readByte()), at: at) // BINPUT
        case 0x72: try put(Int(try c.readUInt(width: 4)), at: at) // LONG_BINPUT
        case 0x94: try put(memo.count, at: at) // MEMOIZE
        case 0x68: try get(Int(try c.readByte()), at: at) // BINGET
        case 0x6A: try get(Int(try c.readUInt(width: 4)), at: at) // LONG_BINGET
        case 0x63: // GLOBAL "module\nname\n"
            let module = try string(try c.readLine(), at: at)
            let name = try string(try c.readLine(), at: at)
            try pushGlobal(module: module, name: name)
        case 0x93: // STACK_GLOBAL
            let name = try pop(at), module = try pop(at)
            guard case let .string(m) = module, case let .string(n) = name else {
                throw fail("STACK_GLOBAL at offset \(at) needs two strings, found \(module.kindName) and \(name.kindName)")
            }
            try pushGlobal(module: m, name: n)
        case 0x52: // REDUCE
            let args = try pop(at), callable = try pop(at)
            guard case let .global(g) = callable else { throw fail("REDUCE at offset \(at) calls a \(callable.kindName)") }
            guard case let .tuple(a) = args else { throw fail("REDUCE at offset \(at) has \(args.kindName) arguments") }
            pushKeepingContainers(try TorchRebuild.call(g, a, fail: { self.fail("\($0) (REDUCE at offset \(at))") }))
        case 0x81, 0x92: // NEWOBJ, NEWOBJ_EX: only `OrderedDict()` is meaningful
            if op == 0x92 { _ = try pop(at) }
            _ = try pop(at)
            let cls = try pop(at)
            guard case .global(.orderedDict) = cls else { throw fail("NEWOBJ at offset \(at) on a \(cls.kindName) other than OrderedDict") }
            try pushNew(.dict(PickleDict()), at: at)
        case 0x62: // BUILD: sets attributes; the only one torch writes is OrderedDict._metadata, dropped.
            let state = try pop(at)
            guard let obj = stack.last else { throw fail("BUILD on an empty stack at offset \(at)") }
            switch obj {
            case .dict, .tensor: _ = state
            default: throw fail("BUILD at offset \(at) on a \(obj.kindName)")
            }
        case 0x51: // BINPERSID
            push(try persistentLoad(try pop(at)))
        default:
            throw fail("opcode 0x\(String(op, radix: 16)) at offset \(at) is not supported (\(Self.refusedOpcodes[op] ?? "not used by torch.save"))")
        }
    }

    /// Why the opcodes that can reach code, or are text-mode, are refused.
    static let refusedOpcodes: [UInt8: String] = [
        0x69: "INST calls an arbitrary class",
        0x6F: "OBJ calls an arbitrary class",
        0x82: "EXT1 imports from the extension registry",
        0x83: "EXT2 imports from the extension registry",
        0x84: "EXT4 imports from the extension registry",
        0x97: "NEXT_BUFFER needs out-of-band buffers",
        0x98: "READONLY_BUFFER needs out-of-band buffers",
        0x50: "PERSID is protocol 0",
        0x49: "INT is protocol 0",
        0x4C: "LONG is protocol 0",
        0x46: "FLOAT is protocol 0",
        0x53: "STRING is protocol 0",
        0x56: "UNICODE is protocol 0",
        0x70: "PUT is protocol 0",
        0x67: "GET is protocol 0",
    ]

    private func list(below at: Int) throws -> PickleList {
        guard case let .list(l)? = stack.last else { throw fail("APPEND at offset \(at) onto a \(stack.last?.kindName ?? "empty stack")") }
        return l
    }

    private func dict(below at: Int) throws -> PickleDict {
        guard case let .dict(d)? = stack.last else { throw fail("SETITEM at offset \(at) onto a \(stack.last?.kindName ?? "empty stack")") }
        return d
    }

    private static func setPairs(_ items: [PickleValue], into d: PickleDict, fail: () -> CkptError) throws {
        guard items.count % 2 == 0 else { throw fail() }
        var i = 0
        while i < items.count { d.set(items[i], items[i + 1]); i += 2 }
    }

    /// A little-endian two's-complement integer (LONG1/LONG4).
    static func long(_ bytes: ArraySlice<UInt8>) -> PickleValue {
        guard bytes.count <= 8 else { return .bigInt(byteCount: bytes.count) }
        guard let last = bytes.last else { return .int(0) }
        var v: UInt64 = last & 0x80 != 0 ? ~0 : 0
        for b in bytes.reversed() { v = v << 8 | UInt64(b) }
        return .int(Int(Int64(bitPattern: v)))
    }
}
