extension KMeans1D {
    /// Packs indices of `bits` bits (1...8) LSB first: index i occupies bits [i·bits, (i+1)·bits) of the stream,
    /// bit b of the stream is bit (b mod 8) of byte ⌊b/8⌋; ⌈count·bits/8⌉ bytes, unused high bits zero.
    public static func pack(_ indices: [UInt8], bits: Int) -> [UInt8] {
        if bits == 8 { return indices }
        var out = [UInt8](repeating: 0, count: (indices.count * bits + 7) / 8)
        var bit = 0
        for v in indices {
            let word = UInt16(v) << UInt16(bit & 7)
            out[bit >> 3] |= UInt8(truncatingIfNeeded: word)
            if (bit & 7) + bits > 8 { out[(bit >> 3) + 1] |= UInt8(truncatingIfNeeded: word >> 8) }
            bit += bits
        }
        return out
    }

    /// The inverse of `pack`: `count` indices of `bits` bits.
    public static func unpack(_ packed: [UInt8], bits: Int, count: Int) -> [UInt8] {
        if bits == 8 { return Array(packed.prefix(count)) }
        let mask = UInt16((1 << bits) - 1)
        var out = [UInt8](repeating: 0, count: count)
        for i in 0..<count {
            let bit = i * bits, byte = bit >> 3
            var word = UInt16(packed[byte])
            if byte + 1 < packed.count { word |= UInt16(packed[byte + 1]) << 8 }
            out[i] = UInt8((word >> UInt16(bit & 7)) & mask)
        }
        return out
    }
}
