extension HalfPrecision {
    /// Fast Float → fp16, bit-exact with ``toFloat16Reference(_:)``, parallel over `threads` ranges.
    ///
    /// Branch-free per element on a = |x| bits: fp16 subnormal results (a < 2^−14) come from the FPU's own
    /// round-to-nearest-even by adding 0.5 (whose ulp is 2^−24, the fp16 subnormal step) and subtracting its bits;
    /// normal results rebias the exponent and round with `+ 0xFFF + (bit 13)` before shifting right by 13 (a
    /// carry may reach Inf); a ≥ 2^16 selects Inf, or the quiet NaN for a > Inf bits.
    public static func toFloat16(_ x: UnsafeBufferPointer<Float>, threads: Int) -> [UInt16] {
        convert(x, threads: threads) { src, dst, n in
            for i in 0..<n {
                let bits = src[i].bitPattern
                let sign = bits & 0x8000_0000
                let a = bits ^ sign
                let subnormal = (Float(bitPattern: a) + 0.5).bitPattern &- 0x3F00_0000
                let normal = (a &+ 0xC800_0FFF &+ ((a >> 13) & 1)) >> 13   // 0xC8000000 = (15 − 127) << 23
                let special: UInt32 = a > 0x7F80_0000 ? 0x7E00 | ((a >> 13) & 0x03FF) : 0x7C00
                var h = a < 0x3880_0000 ? subnormal : normal                  // 0x38800000 = 2^−14
                h = a >= 0x4780_0000 ? special : h                              // 0x47800000 = 2^16
                dst[i] = UInt16(truncatingIfNeeded: h | sign >> 16)
            }
        }
    }

    /// Fast Float → bfloat16, bit-exact with ``toBFloat16Reference(_:)``, parallel over `threads` ranges:
    /// `(bits + 0x7FFF + (bit 16)) >> 16`, or `(bits >> 16) | 0x40` for NaN.
    public static func toBFloat16(_ x: UnsafeBufferPointer<Float>, threads: Int) -> [UInt16] {
        convert(x, threads: threads) { src, dst, n in
            for i in 0..<n {
                let bits = src[i].bitPattern
                let rounded = (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16
                let nan = (bits >> 16) | 0x0040
                dst[i] = UInt16(truncatingIfNeeded: (bits & 0x7FFF_FFFF) > 0x7F80_0000 ? nan : rounded)
            }
        }
    }

    /// Applies `kernel(source, destination, count)` to `threads` contiguous ranges of `x`.
    static func convert(_ x: UnsafeBufferPointer<Float>, threads: Int,
                        _ kernel: (UnsafePointer<Float>, UnsafeMutablePointer<UInt16>, Int) -> Void) -> [UInt16] {
        [UInt16](unsafeUninitializedCapacity: x.count) { buffer, initialized in
            if let src = x.baseAddress, let dst = buffer.baseAddress {
                nonisolated(unsafe) let s = src, d = dst
                Parallel.forEachRange(count: x.count, threads: threads, minimumChunk: 1 << 16) { _, range in
                    kernel(s + range.lowerBound, d + range.lowerBound, range.count)
                }
            }
            initialized = x.count
        }
    }
}
