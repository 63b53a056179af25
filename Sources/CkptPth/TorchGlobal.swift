import CkptCore
/// The only globals a `.pth` pickle may name: the pieces `torch.save` uses for a state dict.
///
/// A pickle can import any callable and call it (`os.system`, `builtins.eval`, …); that is how
/// `torch.load` gets exploited. ckpt never calls anything: a GLOBAL outside this table is refused the
/// moment it is read, and the ones inside are *interpreted* (each has a fixed meaning below), never
/// imported.
enum TorchGlobal: Equatable {
    /// `collections.OrderedDict`: builds a dict.
    case orderedDict
    /// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`.
    case rebuildTensorV2
    /// `torch._utils._rebuild_tensor_v3(storage, offset, size, stride, requires_grad, hooks, dtype[, metadata])`:
    /// dtypes without a legacy storage class (float8, uint16/32/64) over an untyped byte storage.
    case rebuildTensorV3
    /// `torch._utils._rebuild_tensor(storage, offset, size, stride)` (older torch).
    case rebuildTensor
    /// `torch._utils._rebuild_parameter(data, requires_grad, hooks)`: an `nn.Parameter` is its tensor.
    case rebuildParameter
    /// `torch._utils._rebuild_parameter_with_state(data, requires_grad, hooks, state)`.
    case rebuildParameterWithState
    /// `_codecs.encode(str, encoding)`: how protocol 2 spells a Python 3 `bytes` value.
    case codecsEncode
    /// A typed storage class named in a persistent id (`torch.FloatStorage` …; `torch.storage.UntypedStorage` is U8).
    case storageType(DType)
    /// A `torch.dtype` value (`torch.float8_e4m3fn` …), an argument of `_rebuild_tensor_v3`.
    case dtype(DType)

    /// `module.name` → meaning. Protocol 2 pickles write Python 3's `builtins` as `__builtin__`.
    static let allowList: [String: TorchGlobal] = [
        "collections.OrderedDict": .orderedDict,
        "torch._utils._rebuild_tensor_v2": .rebuildTensorV2,
        "torch._utils._rebuild_tensor": .rebuildTensor,
        "torch._utils._rebuild_tensor_v3": .rebuildTensorV3,
        "torch.storage.UntypedStorage": .storageType(.u8),
        "torch._utils._rebuild_parameter": .rebuildParameter,
        "torch._utils._rebuild_parameter_with_state": .rebuildParameterWithState,
        "_codecs.encode": .codecsEncode,
        "torch.DoubleStorage": .storageType(.f64),
        "torch.FloatStorage": .storageType(.f32),
        "torch.HalfStorage": .storageType(.f16),
        "torch.BFloat16Storage": .storageType(.bf16),
        "torch.ComplexFloatStorage": .storageType(.c64),
        "torch.LongStorage": .storageType(.i64),
        "torch.IntStorage": .storageType(.i32),
        "torch.ShortStorage": .storageType(.i16),
        "torch.CharStorage": .storageType(.i8),
        "torch.ByteStorage": .storageType(.u8),
        "torch.BoolStorage": .storageType(.bool),
        "torch.float64": .dtype(.f64), "torch.float32": .dtype(.f32), "torch.float16": .dtype(.f16),
        "torch.bfloat16": .dtype(.bf16), "torch.complex64": .dtype(.c64),
        "torch.int64": .dtype(.i64), "torch.int32": .dtype(.i32), "torch.int16": .dtype(.i16), "torch.int8": .dtype(.i8),
        "torch.uint64": .dtype(.u64), "torch.uint32": .dtype(.u32), "torch.uint16": .dtype(.u16), "torch.uint8": .dtype(.u8),
        "torch.bool": .dtype(.bool), "torch.float8_e4m3fn": .dtype(.f8e4m3), "torch.float8_e5m2": .dtype(.f8e5m2),
        "torch.float8_e8m0fnu": .dtype(.f8e8m0),
    ]

    /// Torch types that are harmless but have no safetensors dtype: refused as unsupported, not unsafe.
    static let unsupported: [String: String] = [
        "torch.ComplexDoubleStorage": "complex128", "torch.complex128": "complex128",
        "torch.float8_e4m3fnuz": "float8_e4m3fnuz", "torch.float8_e5m2fnuz": "float8_e5m2fnuz",
        "torch.QInt8Storage": "qint8", "torch.QUInt8Storage": "quint8", "torch.QInt32Storage": "qint32",
        "torch.QUInt4x2Storage": "quint4x2", "torch.QUInt2x4Storage": "quint2x4",
        "torch.complex32": "complex32",
    ]

    /// The allow-listed meaning of `module.name`, or nil when it must be refused.
    static func lookup(module: String, name: String) -> TorchGlobal? {
        allowList[module + "." + name]
    }
}
