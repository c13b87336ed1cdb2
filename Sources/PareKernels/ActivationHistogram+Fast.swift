extension ActivationHistogram {
    /// Adds a batch: the same state as ``addReference(_:)`` bit for bit, with vectorizable loops.
    ///
    /// Pass 1 reduces the batch to (min, max, non-finite count) with integer min / max over order-preserving keys
    /// of the Float bit patterns (exact and order-independent), so the range grows once per batch. Pass 2
    /// computes, per 256-element chunk, a destination slot per element with selects and a truncating conversion
    /// of `|x| · 2^k / R` (an exact power-of-two product, < binCount), non-finite elements going to a discard
    /// slot, then increments the slots.
    public mutating func add(_ batch: UnsafeBufferPointer<Float>) {
        guard let p = batch.baseAddress, !batch.isEmpty else { return }
        let n = batch.count
        // Pass 1. key(x) = bits for x ≥ 0, bits ^ 0x7FFFFFFF for x < 0 (Int32 order = Float order); −0 → key 0;
        // non-finite elements are replaced by neutral keys.
        var minKey = Int32.max, maxKey = Int32.min, rejected = 0
        for i in 0..<n {
            let bits = Int32(bitPattern: p[i].bitPattern)
            let magnitude = bits & 0x7FFF_FFFF
            let finite = magnitude < 0x7F80_0000
            let key = magnitude == 0 ? 0 : (bits < 0 ? bits ^ 0x7FFF_FFFF : bits)
            minKey = Swift.min(minKey, finite ? key : Int32.max)
            maxKey = Swift.max(maxKey, finite ? key : Int32.min)
            rejected &+= finite ? 0 : 1
        }
        nonFiniteCount += UInt64(rejected)
        guard rejected < n else { return }
        func value(_ key: Int32) -> Float { Float(bitPattern: UInt32(bitPattern: key < 0 ? key ^ 0x7FFF_FFFF : key)) }
        let batchLo = value(minKey), batchHi = value(maxKey)
        lo = Swift.min(lo, batchLo)
        hi = Swift.max(hi, batchHi)
        count += UInt64(n - rejected)
        grow(to: neededExponent(Swift.max(-batchLo, batchHi)))

        // Pass 2.
        let scale = Float(sign: .plus, exponent: log2Bins - rangeExponent, significand: 1)
        let negativeBase = Int32(binCount), discard = Int32(2 * binCount)
        let chunk = 256
        var slots = [Int32](repeating: 0, count: chunk)
        var local = [UInt64](repeating: 0, count: 2 * binCount + 1)
        slots.withUnsafeMutableBufferPointer { slotBuffer in
            local.withUnsafeMutableBufferPointer { counts in
                let s = slotBuffer.baseAddress!
                var start = 0
                while start < n {
                    let m = Swift.min(chunk, n - start)
                    let q = p + start
                    for i in 0..<m {
                        let bits = q[i].bitPattern
                        let magnitudeBits = bits & 0x7FFF_FFFF
                        let finite = magnitudeBits < 0x7F80_0000
                        let scaled = Float(bitPattern: finite ? magnitudeBits : 0) * scale
                        let index = Int32(scaled) // scaled ∈ [0, binCount): exact truncation, no trap
                        let negative = bits > 0x8000_0000
                        s[i] = finite ? (negative ? negativeBase + index : index) : discard
                    }
                    for i in 0..<m { counts[Int(s[i])] &+= 1 }
                    start += m
                }
            }
        }
        for i in bins.indices { bins[i] += local[i] }
    }
}
