import PareFormats

/// `com.microsoft.MatMulNBits` (ONNX Runtime contrib op): Y = A · Wᵀ (+ bias) where the weight W [N, K] is
/// stored as `bits`-bit codes (2, 4 or 8) in B [N, ⌈K / block_size⌉, block_size · bits / 8] (low bits first) with
/// W[n, k] = (q[n, k] − zp[n, k / block]) · scale[n, k / block]; zero points packed the same way per row n
/// (⌈blocks · bits / 8⌉ bytes) or unpacked floats of the scales' type (one per block), default 2^(bits−1).
/// Computed as (Float(q) − zp) · scale, then one `cblas_sgemm` in float32 (accuracy_level is ignored: the
/// result is the float reference). g_idx is not supported.
extension Ops {
    static func matMulNBits(_ c: OpContext) throws -> [Tensor] {
        let (a, ashape, dtype) = try c.floatInput(0)
        guard let k = c.int("K"), let n = c.int("N"), let block = c.int("block_size") else { throw c.fail("lacks the K, N or block_size attribute") }
        let bits = c.int("bits", 4)
        guard [2, 4, 8].contains(bits), k > 0, n > 0, block > 0, block * bits % 8 == 0 else {
            throw c.fail("has bits \(bits), block_size \(block), K \(k), N \(n); supported: bits 2, 4, 8 with whole bytes per block")
        }
        guard ashape.last == k else { throw c.fail("A \(ashape) does not end in K = \(k)") }
        if c.optionalInput(4) != nil { throw c.fail("g_idx is not supported") }
        let bt = try c.input(1)
        let blocks = (k + block - 1) / block, blob = block * bits / 8
        guard let codes = bt.ints, codes.count == n * blocks * blob else {
            throw c.fail("B \(bt.dtype)\(bt.shape) does not hold N \(n) × \(blocks) blocks × \(blob) bytes")
        }
        let (scales, _, _) = try c.floatInput(2)
        guard scales.count == n * blocks else { throw c.fail("has \(scales.count) scales; needs N × blocks = \(n * blocks)") }
        var zps: [Float]?
        if let z = c.optionalInput(3) {
            switch z.storage {
            case .float(let zf):
                guard zf.count == n * blocks else { throw c.fail("has \(zf.count) float zero points; needs \(n * blocks)") }
                zps = zf
            case .int(let zb):
                let perRow = (blocks * bits + 7) / 8
                guard zb.count == n * perRow else { throw c.fail("has \(zb.count) packed zero points; needs N × \(perRow) = \(n * perRow)") }
                zps = MatMulNBitsWeight.unpackZeroPoints(zb, n: n, blocks: blocks, bits: bits)
            }
        }
        let w = MatMulNBitsWeight.dequantize(codes: codes, scales: scales, zeroPoints: zps, n: n, k: k, block: block, bits: bits)
        let rows = a.count / k
        var out = [Float](repeating: 0, count: rows * n)
        if rows > 0 {
            a.withUnsafeBufferPointer { pa in w.withUnsafeBufferPointer { pw in out.withUnsafeMutableBufferPointer { po in
                BLAS.sgemm(transB: true, m: rows, n: n, k: k, a: pa.baseAddress!, lda: k, b: pw.baseAddress!, ldb: k, c: po.baseAddress!, ldc: n)
            } } }
        }
        if let bias = c.optionalInput(5) {
            guard let bv = bias.floats, bv.count == n else { throw c.fail("bias \(bias.dtype)\(bias.shape) must hold N = \(n) floats") }
            for i in 0..<rows { for j in 0..<n { out[i * n + j] += bv[j] } }
        }
        return [Tensor(floats: out, shape: Array(ashape.dropLast()) + [n], dtype: dtype)]
    }
}
