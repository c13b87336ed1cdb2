/// IEEE binary16 (fp16) and bfloat16 conversions.
///
/// Float → 16-bit: round to nearest, ties to even; subnormal results are kept (no flush to zero); finite values
/// that round beyond the largest finite value become ±Inf; NaN stays NaN and is made quiet: the result keeps the
/// sign and the top payload bits (fp16: mantissa bits 22–13, bfloat16: bits 22–16) with the quiet bit set —
/// what x86 F16C and Arm FCVT produce. 16-bit → Float is exact (a NaN keeps its payload, shifted).
///
/// The `…Reference` functions are plain scalar code with branches; ``toFloat16(_:threads:)`` and
/// ``toBFloat16(_:threads:)`` are branch-free loops that vectorize and match them bit for bit.
public enum HalfPrecision {
    /// Scalar reference for Float → fp16 (see the type's rounding rules).
    public static func toFloat16Reference(_ x: UnsafeBufferPointer<Float>) -> [UInt16] {
        x.map(float16Reference)
    }

    /// Scalar reference for Float → bfloat16 (see the type's rounding rules).
    public static func toBFloat16Reference(_ x: UnsafeBufferPointer<Float>) -> [UInt16] {
        x.map(bfloat16Reference)
    }

    /// fp16 → Float, exact.
    public static func fromFloat16(_ x: UnsafeBufferPointer<UInt16>) -> [Float] {
        x.map { h in
            let sign = UInt32(h & 0x8000) << 16
            let exponent = UInt32(h >> 10) & 0x1F
            let mantissa = UInt32(h & 0x03FF)
            // Subnormal: mantissa · 2^−24, exact in Float; normal and Inf/NaN: rebias the exponent.
            let magnitude = exponent == 0 ? (Float(mantissa) * 0x1p-24).bitPattern
                : exponent == 0x1F ? 0x7F80_0000 | mantissa << 13
                : (exponent + 112) << 23 | mantissa << 13
            return Float(bitPattern: sign | magnitude)
        }
    }

    /// bfloat16 → Float, exact (bfloat16 is the top half of a Float).
    public static func fromBFloat16(_ x: UnsafeBufferPointer<UInt16>) -> [Float] {
        x.map { Float(bitPattern: UInt32($0) << 16) }
    }

    /// One Float → fp16, written as the textbook case analysis.
    static func float16Reference(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        let sign = UInt16(truncatingIfNeeded: bits >> 16) & 0x8000
        let exponent = Int((bits >> 23) & 0xFF)
        let mantissa = bits & 0x7F_FFFF
        if exponent == 0xFF {
            return mantissa == 0 ? sign | 0x7C00 : sign | 0x7E00 | UInt16(truncatingIfNeeded: mantissa >> 13)
        }
        let e = exponent - 127 + 15   // biased fp16 exponent
        if e >= 31 { return sign | 0x7C00 }
        if e <= 0 {
            // fp16 subnormal (or zero): value = m · 2^(exponent − 150) = (m >> (14 − e)) · 2^−24.
            if e < -10 { return sign }   // below 2^−25: rounds to zero
            let m = mantissa | 0x80_0000
            let shift = UInt32(14 - e)
            var h = m >> shift
            let rest = m & ((1 << shift) - 1), halfway: UInt32 = 1 << (shift - 1)
            if rest > halfway || (rest == halfway && h & 1 == 1) { h += 1 }   // may carry into the smallest normal
            return sign | UInt16(h)
        }
        var h = UInt32(e) << 10 | mantissa >> 13
        let rest = mantissa & 0x1FFF
        if rest > 0x1000 || (rest == 0x1000 && h & 1 == 1) { h += 1 }   // a carry may reach the exponent, even Inf
        return sign | UInt16(h)
    }

    /// One Float → bfloat16: keep the top 16 bits, rounding the dropped 16 bits to nearest even.
    static func bfloat16Reference(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        if x.isNaN { return UInt16(bits >> 16) | 0x0040 }
        var h = bits >> 16
        let rest = bits & 0xFFFF
        if rest > 0x8000 || (rest == 0x8000 && h & 1 == 1) { h += 1 }   // 0x7F7F + 1 = 0x7F80 is Inf
        return UInt16(h)
    }
}
