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
    /// `torch._utils._rebuild_tensor(storage, offset, size, stride)` (older torch).
    case rebuildTensor
    /// `torch._utils._rebuild_parameter(data, requires_grad, hooks)`: an `nn.Parameter` is its tensor.
    case rebuildParameter
    /// `torch._utils._rebuild_parameter_with_state(data, requires_grad, hooks, state)`.
    case rebuildParameterWithState
    /// `_codecs.encode(str, encoding)`: how protocol 2 spells a Python 3 `bytes` value.
    case codecsEncode
    /// A typed storage class named in a persistent id (`torch.FloatStorage` …).
    case storageType(DType)

    /// `module.name` → meaning. Protocol 2 pickles write Python 3's `builtins` as `__builtin__`.
    static let allowList: [String: TorchGlobal] = [
        "collections.OrderedDict": .orderedDict,
        "torch._utils._rebuild_tensor_v2": .rebuildTensorV2,
        "torch._utils._rebuild_tensor": .rebuildTensor,
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
    ]

    /// The allow-listed meaning of `module.name`, or nil when it must be refused.
    static func lookup(module: String, name: String) -> TorchGlobal? {
        allowList[module + "." + name]
    }
}
