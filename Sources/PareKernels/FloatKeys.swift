/// Integer views of Float bit patterns that order like the values they encode, so that min / max / magnitude
/// reductions and selections run as integer code that LLVM vectorizes (Float min/max reductions do not
/// vectorize without fast-math flags).
enum FloatKeys {
    /// Bit pattern of +∞; any magnitude key above it is a NaN.
    static let infinityBits: UInt32 = 0x7F80_0000

    /// |x| as its IEEE bit pattern (sign cleared). Orders like |x| for non-NaN values; NaNs sort above +∞.
    @inline(__always)
    static func magnitude(_ x: Float) -> UInt32 { x.bitPattern & 0x7FFF_FFFF }

    /// |x| as an ordered Int32 key with NaN mapped to 0 (so NaN is ignored by a max reduction).
    @inline(__always)
    static func magnitudeIgnoringNaN(_ x: Float) -> Int32 {
        let a = Int32(bitPattern: x.bitPattern & 0x7FFF_FFFF)
        return a > 0x7F80_0000 ? 0 : a
    }

    /// A signed Int32 key ordering like x (with −0 just below +0); NaN maps to the key of +0.
    @inline(__always)
    static func ordered(_ x: Float) -> Int32 {
        let b = Int32(bitPattern: x.bitPattern)
        return (b & 0x7FFF_FFFF) > 0x7F80_0000 ? 0 : orderedRaw(x)
    }

    /// A signed Int32 key ordering like x for non-NaN values (−0 just below +0). A positive NaN maps above the key
    /// of +∞ (``orderedPlusInfinity``), a negative NaN below that of −∞ (``orderedMinusInfinity``).
    @inline(__always)
    static func orderedRaw(_ x: Float) -> Int32 {
        let b = Int32(bitPattern: x.bitPattern)
        return b < 0 ? b ^ 0x7FFF_FFFF : b
    }

    static let orderedPlusInfinity = Int32(0x7F80_0000)
    static let orderedMinusInfinity = Int32(bitPattern: 0x807F_FFFF)

    /// Inverse of ``ordered(_:)`` for non-NaN values.
    @inline(__always)
    static func float(ordered k: Int32) -> Float {
        Float(bitPattern: UInt32(bitPattern: k < 0 ? k ^ 0x7FFF_FFFF : k))
    }

    /// max |x| over `n` elements, NaN ignored; 0 for an empty span.
    static func maxMagnitude(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var m: Int32 = 0
        for i in 0..<n {
            let a = magnitudeIgnoringNaN(p[i])
            m = a > m ? a : m
        }
        return Float(bitPattern: UInt32(bitPattern: m))
    }

    /// max of the raw magnitude bits (NaN counts above +∞): one integer max reduction, the fast first try.
    /// The result is finite (< ``infinityBits``) exactly when every element is finite.
    @inline(never)
    static func maxMagnitudeRaw(_ p: UnsafePointer<Float>, _ n: Int) -> UInt32 {
        var m: Int32 = 0
        for i in 0..<n {
            let a = Int32(bitPattern: p[i].bitPattern & 0x7FFF_FFFF)
            m = a > m ? a : m
        }
        return UInt32(bitPattern: m)
    }

    /// (min, max) of ``orderedRaw(_:)`` keys including the key of +0: the fast first try. Every element is finite
    /// exactly when lo > ``orderedMinusInfinity`` and hi < ``orderedPlusInfinity``.
    @inline(never)
    static func minMaxWithZeroRaw(_ p: UnsafePointer<Float>, _ n: Int) -> (lo: Int32, hi: Int32) {
        var lo: Int32 = 0, hi: Int32 = 0
        for i in 0..<n {
            let k = orderedRaw(p[i])
            lo = k < lo ? k : lo
            hi = k > hi ? k : hi
        }
        return (lo, hi)
    }

    /// (min, max) of ``orderedRaw(_:)`` keys over `n` ≥ 1 elements (NaN sorts beyond ±∞, as there).
    @inline(never)
    static func minMaxRaw(_ p: UnsafePointer<Float>, _ n: Int) -> (lo: Int32, hi: Int32) {
        var lo = orderedRaw(p[0]), hi = lo
        for i in 0..<n {
            let k = orderedRaw(p[i])
            lo = k < lo ? k : lo
            hi = k > hi ? k : hi
        }
        return (lo, hi)
    }

    /// (min(min(x), 0), max(max(x), 0)) over `n` elements with NaN ignored, as ordered keys.
    static func minMaxWithZero(_ p: UnsafePointer<Float>, _ n: Int) -> (lo: Int32, hi: Int32) {
        var lo: Int32 = 0, hi: Int32 = 0
        for i in 0..<n {
            let k = ordered(p[i])
            lo = k < lo ? k : lo
            hi = k > hi ? k : hi
        }
        return (lo, hi)
    }

    /// Turns ordered keys from ``minMaxWithZero(_:_:)`` into Floats, with −0 normalized to +0.
    @inline(__always)
    static func range(lo: Int32, hi: Int32) -> (lo: Float, hi: Float) {
        let l = float(ordered: lo), h = float(ordered: hi)
        return (l < 0 ? l : 0, h > 0 ? h : 0)
    }
}
