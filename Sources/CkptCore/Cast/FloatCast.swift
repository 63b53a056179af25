/// Floating-point conversions with the exact bit results of PyTorch's CPU `.to(dtype)`.
///
/// F32 → F16 and F32 → BF16 round to nearest, ties to even; values past the largest finite half
/// become ±inf. F16 and BF16 widen exactly. F64 → F32 is IEEE round-to-nearest. F16 ⇄ BF16 and
/// F64 → F16/BF16 go through F32 as torch does (F64 → F16 therefore rounds twice, like torch).
///
/// NaN stays NaN. Its bit pattern is whatever torch 2.15's CPU kernel for that pair writes (measured
/// on x86-64 and pinned by `golden/safetensors/casts.json`), because those kernels disagree:
///
/// | cast | NaN written |
/// |---|---|
/// | F32 → F16, BF16 → F16, F64 → F16 | sign kept, quiet bit set, top 10 payload bits kept (`vcvtps2ph`) |
/// | F32 → BF16 | `0xFFFF` for every NaN, whatever its sign (the vectorised kernel's blend) |
/// | F16 → BF16, F64 → BF16 | `0x7FC0` for every NaN (the scalar `round_to_nearest_even`) |
/// | F16 → F32 | sign kept, quiet bit set, payload kept (`vcvtph2ps`) |
/// | F64 → F32 | sign kept, quiet bit set, top 23 payload bits kept (`cvtsd2ss`) |
///
/// One difference remains: torch's F16 → F32 kernel converts the last `n mod 16` elements with a
/// scalar loop that writes `0x7FFFFFFF` for any NaN. ckpt does not copy that position-dependent quirk.
package enum FloatCast {
    /// F32 → F16 bits: torch's `c10::detail::fp16_ieee_from_fp32_value` for numbers; NaN keeps its sign and
    /// top payload bits with the quiet bit set, as the F16C instruction torch's vectorised kernel uses does.
    @inline(__always)
    package static func f16Bits(_ f: Float) -> UInt16 {
        let scaleToInf = Float(bitPattern: 0x7780_0000)   // 2^112
        let scaleToZero = Float(bitPattern: 0x0880_0000)  // 2^-110
        var base = (abs(f) * scaleToInf) * scaleToZero
        let w = f.bitPattern
        let shl1w = w &+ w
        let sign = w & 0x8000_0000
        var bias = shl1w & 0xFF00_0000
        if bias < 0x7100_0000 { bias = 0x7100_0000 }
        base = Float(bitPattern: (bias >> 1) &+ 0x0780_0000) + base
        let bits = base.bitPattern
        let expBits = (bits >> 13) & 0x0000_7C00
        let mantissaBits = bits & 0x0000_0FFF
        let nonsign = expBits &+ mantissaBits
        if shl1w > 0xFF00_0000 {
            return UInt16(truncatingIfNeeded: sign >> 16) | 0x7E00 | UInt16(truncatingIfNeeded: (w & 0x007F_FFFF) >> 13)
        }
        return UInt16(truncatingIfNeeded: sign >> 16) | UInt16(truncatingIfNeeded: nonsign)
    }

    /// F32 → BF16 bits: torch's `c10::detail::round_to_nearest_even`; NaN becomes `nan` (see the table above).
    @inline(__always)
    package static func bf16Bits(_ f: Float, nan: UInt16 = bf16NaN) -> UInt16 {
        if f.isNaN { return nan }
        let u = f.bitPattern
        let roundingBias = ((u >> 16) & 1) &+ 0x7FFF
        return UInt16(truncatingIfNeeded: (u &+ roundingBias) >> 16)
    }

    /// The BF16 bit pattern torch's scalar conversion writes for any NaN (F16 → BF16, F64 → BF16).
    package static let bf16NaN: UInt16 = 0x7FC0
    /// The BF16 bit pattern torch's vectorised F32 → BF16 kernel writes for any NaN, whatever its sign.
    package static let bf16NaNFromF32: UInt16 = 0xFFFF

    /// F16 → F32, exact (NaNs keep sign and payload, quieted as an arithmetic widening would).
    @inline(__always)
    package static func float(fromF16 h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = UInt32(h >> 10) & 0x1F
        let mant = UInt32(h) & 0x3FF
        if exp == 0x1F {
            let quiet: UInt32 = mant == 0 ? 0 : 0x0040_0000
            return Float(bitPattern: sign | 0x7F80_0000 | (mant << 13) | quiet)
        }
        if exp == 0 {
            // Zero or subnormal: mant · 2^-24, exact in F32.
            let magnitude = Float(mant) * Float(bitPattern: 0x3380_0000)
            return sign == 0 ? magnitude : -magnitude
        }
        return Float(bitPattern: sign | ((exp + 112) << 23) | (mant << 13))
    }

    /// BF16 → F32, exact.
    @inline(__always)
    package static func float(fromBF16 b: UInt16) -> Float { Float(bitPattern: UInt32(b) << 16) }

    /// Decodes little-endian elements of `dtype` (F16, BF16, F32 or F64) as F32.
    package static func toFloat32(_ raw: UnsafeRawBufferPointer, from dtype: DType) -> [Float] {
        let width = dtype.byteWidth ?? 1
        let count = raw.count / width
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            convert(raw, from: dtype, to: .f32, into: UnsafeMutableRawBufferPointer(out))
            initialized = count
        }
    }

    /// Converts whole little-endian elements from `source` (`from`) into `destination` (`to`).
    /// Both types must be castable floats; `destination` must hold as many elements as `source`.
    package static func convert(_ source: UnsafeRawBufferPointer, from: DType, to: DType,
                               into destination: UnsafeMutableRawBufferPointer) {
        precondition(from.isCastableFloat && to.isCastableFloat, "cast between non-float types")
        let count = source.count / from.byteWidth!
        precondition(destination.count >= count * to.byteWidth!, "cast destination too small")
        if from == to {
            destination.copyMemory(from: source)
            return
        }
        @inline(__always) func load(_ i: Int) -> Float {
            switch from {
            case .f32: return Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
            case .f16: return float(fromF16: UInt16(littleEndian: source.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))
            case .bf16: return float(fromBF16: UInt16(littleEndian: source.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))
            default: return Float(Double(bitPattern: UInt64(littleEndian: source.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))))
            }
        }
        switch to {
        case .f32:
            for i in 0..<count { destination.storeBytes(of: load(i).bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self) }
        case .f16:
            for i in 0..<count { destination.storeBytes(of: f16Bits(load(i)).littleEndian, toByteOffset: i * 2, as: UInt16.self) }
        case .bf16:
            let nan = from == .f32 ? bf16NaNFromF32 : bf16NaN
            for i in 0..<count { destination.storeBytes(of: bf16Bits(load(i), nan: nan).littleEndian, toByteOffset: i * 2, as: UInt16.self) }
        default:
            // F64 output: widen exactly (not offered by the CLI, kept total for library callers).
            for i in 0..<count { destination.storeBytes(of: Double(load(i)).bitPattern.littleEndian, toByteOffset: i * 8, as: UInt64.self) }
        }
    }
}
