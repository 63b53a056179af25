/// A pickle stream built from fuzzer choices, token by token: single opcodes with well-formed
/// arguments, and whole `torch.save` idioms (a tensor rebuilt from a storage, a dict item, a
/// GLOBAL/STACK_GLOBAL/INST naming an allowed or a dangerous callable, REDUCE, BUILD, memo traffic).
///
/// `refused` records whether the program names something ckpt must refuse (a global outside the
/// allow-list, or the INST opcode); it is exact only when `exact` (no raw bytes were spliced in, so
/// every token is executed in order up to the final STOP).
public struct PickleProgram {
    public private(set) var bytes: [UInt8] = [0x80, 0x02]
    public private(set) var refused = false
    public private(set) var exact = true

    /// Globals `torch.save` writes for a state dict: the allow-list ckpt interprets.
    public static let allowed: [(String, String)] = [
        ("collections", "OrderedDict"), ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"),
        ("torch._utils", "_rebuild_tensor_v3"), ("torch._utils", "_rebuild_parameter"),
        ("torch._utils", "_rebuild_parameter_with_state"), ("_codecs", "encode"), ("torch", "FloatStorage"),
        ("torch", "HalfStorage"), ("torch", "BFloat16Storage"), ("torch", "LongStorage"), ("torch", "ByteStorage"),
        ("torch.storage", "UntypedStorage"), ("torch", "float32"), ("torch", "float8_e4m3fn"), ("torch", "uint16"),
    ]
    /// Callables a malicious pickle reaches for, plus harmless-looking names outside the allow-list.
    public static let dangerous: [(String, String)] = [
        ("os", "system"), ("builtins", "eval"), ("builtins", "exec"), ("__builtin__", "getattr"), ("posix", "system"),
        ("subprocess", "Popen"), ("torch", "load"), ("numpy.core.multiarray", "_reconstruct"), ("builtins", "setattr"),
        ("collections", "defaultdict"), ("torch._utils", "_rebuild_qtensor"), ("torch", "QInt8Storage"), ("torch", "complex128"),
    ]
    static let keys = ["weight", "bias", "backbone.cls_token", "teacher", "model", "blocks.0.attn.qkv.weight", "state_dict", ""]
    static let storageKeys = ["0", "1", "2", "3", "9"]

    /// Decodes up to `limit` tokens from `stream`, then STOP.
    public init(_ stream: inout ByteStream, limit: Int = 64) {
        var n = 0
        while !stream.isAtEnd && n < limit {
            token(&stream)
            n += 1
        }
        bytes.append(0x2E)  // STOP
    }

    mutating func token(_ s: inout ByteStream) {
        switch s.below(24) {
        case 0: bytes.append(0x28)                                   // MARK
        case 1: bytes.append([0x7D, 0x5D, 0x29, 0x4E, 0x88][s.below(5)]) // EMPTY_DICT/LIST/TUPLE, NONE, TRUE
        case 2: bytes.append([0x85, 0x86, 0x87, 0x74, 0x6C, 0x64][s.below(6)]) // TUPLE1..3, TUPLE, LIST, DICT
        case 3: bytes.append([0x73, 0x75, 0x61, 0x65, 0x30, 0x31, 0x32][s.below(7)]) // SETITEM(S), APPEND(S), POP, POP_MARK, DUP
        case 4: bytes += [0x4B, s.byte()]                             // BININT1
        case 5: // BININT
            var v = s.take(4)
            while v.count < 4 { v.append(0) }
            bytes += [0x4A] + v
        case 6: string(Self.keys[s.below(Self.keys.count)])
        case 7: bytes += [0x8A, 1, s.byte()]                          // LONG1
        case 8: global(Self.allowed[s.below(Self.allowed.count)], &s)
        case 9: global(Self.dangerous[s.below(Self.dangerous.count)], &s)
        case 10: bytes.append(0x52)                                  // REDUCE
        case 11: bytes.append(0x62)                                  // BUILD
        case 12: bytes.append([0x81, 0x93][s.below(2)])              // NEWOBJ, raw STACK_GLOBAL
        case 13: bytes += [0x71, s.byte() % 8]                       // BINPUT
        case 14: bytes += [0x68, s.byte() % 8]                       // BINGET
        case 15: bytes.append(0x94)                                  // MEMOIZE
        case 16: storage(&s); bytes.append(0x51)                     // BINPERSID
        case 17, 18: tensor(&s)
        case 19: string(Self.keys[s.below(Self.keys.count)]); tensor(&s); bytes.append(0x73) // key, tensor, SETITEM
        case 20: // INST module\nname\n: always refused
            let (m, n) = (Self.allowed + Self.dangerous)[s.below(Self.allowed.count + Self.dangerous.count)]
            bytes += [0x69] + Array("\(m)\n\(n)\n".utf8)
            refused = true
        case 21: bytes += [0x8C, 0xFF]  // SHORT_BINUNICODE whose length swallows the tokens after it
            exact = false
        default: // raw bytes spliced in: anything goes, and the refusal bookkeeping stops being exact
            bytes += s.take(1 + s.below(8))
            exact = false
        }
    }

    mutating func string(_ text: String) {
        let b = Array(text.utf8)
        bytes += [0x8C, UInt8(b.count)] + b
    }

    /// GLOBAL, or STACK_GLOBAL over two strings.
    mutating func global(_ g: (String, String), _ s: inout ByteStream) {
        if s.below(2) == 0 {
            bytes += [0x63] + Array("\(g.0)\n\(g.1)\n".utf8)
        } else {
            string(g.0); string(g.1); bytes.append(0x93)
        }
        if !Self.allowed.contains(where: { $0 == g }) { refused = true }
    }

    /// ('storage', <StorageClass>, key, 'cpu', numel)
    mutating func storage(_ s: inout ByteStream) {
        bytes.append(0x28)
        string("storage")
        global([("torch", "FloatStorage"), ("torch", "HalfStorage"), ("torch", "ByteStorage"), ("torch", "LongStorage")][s.below(4)], &s)
        string(Self.storageKeys[s.below(Self.storageKeys.count)])
        string("cpu")
        bytes += [0x4B, s.byte() % 32]
        bytes.append(0x74)
    }

    /// _rebuild_tensor_v2(persistent storage, offset, size, stride, False, OrderedDict())
    mutating func tensor(_ s: inout ByteStream) {
        global(("torch._utils", "_rebuild_tensor_v2"), &s)
        bytes.append(0x28)
        storage(&s); bytes.append(0x51)
        bytes += [0x4B, s.byte() % 8]
        let rank = s.below(3)
        for _ in 0..<2 {  // size, then stride
            bytes.append(0x28)
            for _ in 0..<rank { bytes += [0x4B, s.byte() % 9] }
            bytes.append(0x74)
        }
        bytes.append(0x89)
        global(("collections", "OrderedDict"), &s)
        bytes += [0x29, 0x52, 0x74, 0x52]
    }
}
