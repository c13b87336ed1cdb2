/// Detection of NaN and ±Inf, which the compression kernels do not accept as weights.
public enum FiniteCheck {
    /// Index of the first NaN/±Inf element, or nil. Fast.
    ///
    /// Scans 256-element chunks with a vectorizable OR of "exponent bits all ones" over the bit patterns and only
    /// searches a chunk element by element when it contains a non-finite value.
    public static func firstNonFinite(_ x: UnsafeBufferPointer<Float>) -> Int? {
        guard let p = x.baseAddress else { return nil }
        let chunk = 256
        var start = 0
        while start < x.count {
            let n = Swift.min(chunk, x.count - start)
            var any: UInt32 = 0
            for i in start..<(start + n) {
                any |= (p[i].bitPattern & 0x7F80_0000) == 0x7F80_0000 ? 1 : 0
            }
            if any != 0 {
                for i in start..<(start + n) where !p[i].isFinite { return i }
            }
            start += n
        }
        return nil
    }
}
