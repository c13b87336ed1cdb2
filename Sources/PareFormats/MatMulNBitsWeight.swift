/// Decoding of the weight of a `com.microsoft.MatMulNBits` node (shared by `pare diff` and the interpreter).
///
/// B holds `bits`-bit codes (2, 4 or 8) as [N, blocks, block · bits / 8] bytes, low bits first, blocks =
/// ⌈K / block⌉; W[n, k] = (Float(q[n, k]) − zp[n, k / block]) · scale[n, k / block]. Callers check the counts.
public enum MatMulNBitsWeight {
    /// Zero points packed per row n in ⌈blocks · bits / 8⌉ bytes (low bits first) as Floats, one per block.
    public static func unpackZeroPoints(_ packed: [Int64], n: Int, blocks: Int, bits: Int) -> [Float] {
        let perRow = (blocks * bits + 7) / 8, mask = Int64((1 << bits) - 1)
        var out = [Float](repeating: 0, count: n * blocks)
        for r in 0..<n {
            for j in 0..<blocks {
                let bit = j * bits
                out[r * blocks + j] = Float((packed[r * perRow + bit / 8] >> Int64(bit % 8)) & mask)
            }
        }
        return out
    }

    /// W as N × K Floats, row-major. `zeroPoints` nil means the default 2^(bits−1) for every block.
    public static func dequantize(codes: [Int64], scales: [Float], zeroPoints: [Float]?, n: Int, k: Int,
                                  block: Int, bits: Int) -> [Float] {
        let blocks = (k + block - 1) / block, blob = block * bits / 8, mask = Int64((1 << bits) - 1)
        let defaultZP = Float(1 << (bits - 1))
        var w = [Float](repeating: 0, count: n * k)
        for r in 0..<n {
            for j in 0..<blocks {
                let sc = scales[r * blocks + j], z = zeroPoints?[r * blocks + j] ?? defaultZP
                let base = (r * blocks + j) * blob
                for t in 0..<min(block, k - j * block) {
                    let bit = t * bits
                    let code = (codes[base + bit / 8] >> Int64(bit % 8)) & mask
                    w[r * k + j * block + t] = (Float(code) - z) * sc
                }
            }
        }
        return w
    }
}
