/// The element types of the safetensors format, spelled as in the header.
///
/// Declaration order is the reference implementation's (increasing alignment); its writer orders
/// tensors by this rank descending, then by name, and so does ours.
public enum DType: String, CaseIterable, Sendable, Comparable {
    /// Boolean, one byte.
    case bool = "BOOL"
    /// 4-bit float (E2M1), two per byte.
    case f4 = "F4"
    /// 6-bit float, E2M3.
    case f6e2m3 = "F6_E2M3"
    /// 6-bit float, E3M2.
    case f6e3m2 = "F6_E3M2"
    /// Unsigned 8-bit integer.
    case u8 = "U8"
    /// Signed 8-bit integer.
    case i8 = "I8"
    /// 8-bit float, E5M2.
    case f8e5m2 = "F8_E5M2"
    /// 8-bit float, E4M3 (FN).
    case f8e4m3 = "F8_E4M3"
    /// 8-bit exponent-only scale (E8M0).
    case f8e8m0 = "F8_E8M0"
    /// 8-bit float, E4M3 FNUZ.
    case f8e4m3fnuz = "F8_E4M3FNUZ"
    /// 8-bit float, E5M2 FNUZ.
    case f8e5m2fnuz = "F8_E5M2FNUZ"
    /// Signed 16-bit integer.
    case i16 = "I16"
    /// Unsigned 16-bit integer.
    case u16 = "U16"
    /// IEEE half precision.
    case f16 = "F16"
    /// bfloat16.
    case bf16 = "BF16"
    /// Signed 32-bit integer.
    case i32 = "I32"
    /// Unsigned 32-bit integer.
    case u32 = "U32"
    /// IEEE single precision.
    case f32 = "F32"
    /// Complex of two F32.
    case c64 = "C64"
    /// IEEE double precision.
    case f64 = "F64"
    /// Signed 64-bit integer.
    case i64 = "I64"
    /// Unsigned 64-bit integer.
    case u64 = "U64"

    /// Bits per element (sub-byte types pack several elements per byte).
    public var bitWidth: Int {
        switch self {
        case .f4: return 4
        case .f6e2m3, .f6e3m2: return 6
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3, .f8e8m0, .f8e4m3fnuz, .f8e5m2fnuz: return 8
        case .i16, .u16, .f16, .bf16: return 16
        case .i32, .u32, .f32: return 32
        case .c64, .f64, .i64, .u64: return 64
        }
    }

    /// Bytes per element for whole-byte types; nil for the sub-byte ones.
    public var byteWidth: Int? { bitWidth % 8 == 0 ? bitWidth / 8 : nil }

    /// The floating-point types ckpt can cast between (`--dtype`).
    public var isCastableFloat: Bool { self == .f16 || self == .bf16 || self == .f32 || self == .f64 }

    /// Any floating-point type (for non-finite scans and statistics).
    public var isFloatingPoint: Bool {
        switch self {
        case .f4, .f6e2m3, .f6e3m2, .f8e5m2, .f8e4m3, .f8e8m0, .f8e4m3fnuz, .f8e5m2fnuz, .f16, .bf16, .f32, .f64, .c64: return true
        default: return false
        }
    }

    /// Position in the reference declaration order.
    public var rank: Int { DType.allCases.firstIndex(of: self)! }

    /// Orders by `rank` (declaration order); the writer puts higher ranks first, as safetensors does.
    public static func < (lhs: DType, rhs: DType) -> Bool { lhs.rank < rhs.rank }

    /// Bytes needed for `shape`, or nil when the count overflows or sub-byte elements do not fill whole bytes.
    public func byteCount(for shape: [Int]) -> Int? {
        guard let elements = elementCount(shape) else { return nil }
        let (bits, o) = elements.multipliedReportingOverflow(by: bitWidth)
        if o || bits % 8 != 0 { return nil }
        return bits / 8
    }
}

/// Number of elements of a shape (1 for rank 0), or nil on overflow.
public func elementCount(_ shape: [Int]) -> Int? {
    var n = 1
    for d in shape {
        guard d >= 0 else { return nil }
        let (p, o) = n.multipliedReportingOverflow(by: d)
        if o { return nil }
        n = p
    }
    return n
}
