import COpenBLAS

/// GPTQ weight quantization (Frantar et al. 2022, "Optimal Brain Quantization" applied column by column).
///
/// Input: a row-major rows × cols weight matrix W in the matrix view of ``QuantizedMatrix`` (rows = output
/// channels, cols = input features) and the layer-input Hessian H = 2/n · Σ XᵀX (cols × cols, float64) over the
/// n calibration rows X of the layer's input (columns in the same order as W's).
///
/// Steps (both ``reference(_:rows:cols:hessian:scheme:options:)`` and ``fast(_:rows:cols:hessian:scheme:options:)``):
/// 1. dead inputs: a column i with H_ii = 0 gets H_ii = 1 and W[:, i] = 0 (as in the paper's code);
/// 2. `actOrder`: columns are processed in order of decreasing H_ii (ties: lower index first);
/// 3. damping: H += λ · mean(diag H) · I;
/// 4. U = upper Cholesky factor of H⁻¹ (``LinearAlgebra/inverseCholeskyUpper(_:n:)``: one Cholesky and one
///    triangular inverse, LAPACK dpotrf + dtrtri);
/// 5. for each column j in processing order: its codes q = the ``QuantScheme`` rule applied to Float(w) with the
///    block's scale (clamp(rne(x · inv), …), round half to even, as ``Quantizer``), ŵ = (q − zp) · scale,
///    err = (w − ŵ) / U_jj, and every later column k gets W[:, k] −= err · U_jk.
/// Block scales: per-tensor and per-channel blocks are fitted (min/max rule of ``QuantScheme``) on W after step 1;
/// a per-group block (row r, input columns g·G ..< (g+1)·G in the original order, so the layout is exactly
/// ``Quantizer``'s) is fitted when the first of its columns is processed, on the current (error-updated) weights
/// of all its columns. Only ``QuantFit/minmax`` schemes.
///
/// The reference applies each column's update to all later columns at once; the fast version defers updates to
/// columns beyond the current block of `blockSize` columns and applies them with one BLAS dgemm per block
/// ("lazy batch updates"). Both compute in float64; they differ only by the summation order of those updates, so
/// codes agree except where a value lands within rounding noise (~1e-12 relative) of a rounding boundary. The fast
/// version runs fixed chunks of ``rowChunk`` rows in parallel; its bytes do not depend on the thread count.
public enum GPTQ {
    /// The knobs of the algorithm.
    public struct Options: Sendable, Hashable {
        public var damping: Double
        public var actOrder: Bool
        public var blockSize: Int
        public init(damping: Double = 0.01, actOrder: Bool = false, blockSize: Int = 128) {
            self.damping = damping
            self.actOrder = actOrder
            self.blockSize = max(1, blockSize)
        }
    }

    /// The quantized matrix (layout of ``Quantizer``), its dequantized values and the floating-point work done.
    public struct Result: Sendable {
        public var quantized: QuantizedMatrix
        public var dequantized: [Float]
        public var flops: Double
    }

    /// Prepared state: permuted float64 weights, the Cholesky factor U of H⁻¹ (permuted), and the permutation.
    struct Prepared {
        var w: [Double]
        var u: [Double]
        var perm: [Int]
        var flops: Double
    }

    static func prepare(_ w: UnsafeBufferPointer<Float>, rows: Int, cols: Int, hessian: [Double], options: Options) -> Prepared? {
        precondition(w.count == rows * cols && hessian.count == cols * cols, "GPTQ: shapes do not match")
        var h = hessian
        var wd = w.map(Double.init)
        for i in 0..<cols where h[i * cols + i] == 0 {
            h[i * cols + i] = 1
            for r in 0..<rows { wd[r * cols + i] = 0 }
        }
        var perm = Array(0..<cols)
        if options.actOrder {
            perm.sort { a, b in
                let ha = h[a * cols + a], hb = h[b * cols + b]
                return ha != hb ? ha > hb : a < b
            }
            var hp = [Double](repeating: 0, count: cols * cols)
            for i in 0..<cols { for j in 0..<cols { hp[i * cols + j] = h[perm[i] * cols + perm[j]] } }
            h = hp
            var wp = [Double](repeating: 0, count: rows * cols)
            for r in 0..<rows { for j in 0..<cols { wp[r * cols + j] = wd[r * cols + perm[j]] } }
            wd = wp
        }
        var mean = 0.0
        for i in 0..<cols { mean += h[i * cols + i] }
        mean /= Double(max(cols, 1))
        let damp = options.damping * mean
        for i in 0..<cols { h[i * cols + i] += damp }
        guard LinearAlgebra.inverseCholeskyUpper(&h, n: cols) else { return nil }
        let c = Double(cols)
        return Prepared(w: wd, u: h, perm: perm, flops: Double(rows) * c * c + 2.0 / 3.0 * c * c * c)
    }

    /// Block parameters for every block that does not depend on the update order (per-tensor, per-channel).
    static func staticBlocks(_ p: Prepared, rows: Int, cols: Int, scheme: QuantScheme) -> [QuantBlock?] {
        switch scheme.granularity {
        case .perGroup(let g): return [QuantBlock?](repeating: nil, count: rows * (cols / g))
        case .perChannel:
            return (0..<rows).map { r in stats(scheme, (0..<cols).map { Float(p.w[r * cols + $0]) }) }
        case .perTensor:
            return [stats(scheme, p.w.map(Float.init))]
        }
    }

    static func stats(_ scheme: QuantScheme, _ x: [Float]) -> QuantBlock {
        var maxAbs: Float = 0, lo: Float = 0, hi: Float = 0
        for v in x where !v.isNaN {
            if abs(v) > maxAbs { maxAbs = abs(v) }
            if v < lo { lo = v }
            if v > hi { hi = v }
        }
        return QuantBlock(scheme, maxAbs: maxAbs, lo: lo, hi: hi)
    }

    /// One element's code and dequantized value by ``QuantScheme``'s rule.
    @inline(__always)
    static func code(_ w: Double, _ b: QuantBlock) -> (Int32, Float) {
        let v = Float(w) * b.inv
        var t: Float = v.isNaN ? 0 : v.rounded(.toNearestOrEven)
        t = Swift.min(Swift.max(t, Float(b.qlo - b.zeroPoint)), Float(b.qhi - b.zeroPoint))
        let q = Int32(t) + b.zeroPoint
        return (q, (Float(q) - Float(b.zeroPoint)) * b.scale)
    }

    static func blockIndex(_ scheme: QuantScheme, row r: Int, col c: Int, cols: Int) -> Int {
        switch scheme.granularity {
        case .perTensor: return 0
        case .perChannel: return r
        case .perGroup(let g): return r * (cols / g) + c / g
        }
    }

    static func finish(codes: [Int32], deq: [Float], blocks: [QuantBlock?], rows: Int, cols: Int, scheme: QuantScheme, flops: Double) -> Result {
        let bs = blocks.map { $0 ?? QuantBlock(scheme, maxAbs: 0, lo: 0, hi: 0) }
        let q = QuantizedMatrix(rows: rows, cols: cols, data: Quantizer.packReference(codes, rows: rows, cols: cols, type: scheme.type),
                                scales: bs.map(\.scale), zeroPoints: bs.map { Float($0.zeroPoint) })
        return Result(quantized: q, dequantized: deq, flops: flops)
    }

    /// Plain column-by-column GPTQ (every update applied immediately). Nil when H + damping is not positive definite.
    public static func reference(_ w: UnsafeBufferPointer<Float>, rows: Int, cols: Int, hessian: [Double],
                                 scheme: QuantScheme, options: Options) -> Result? {
        scheme.checkShape(count: w.count, rows: rows, cols: cols, function: "GPTQ.reference")
        precondition(scheme.fit == .minmax, "GPTQ: only min/max block fitting")
        guard var p = prepare(w, rows: rows, cols: cols, hessian: hessian, options: options) else { return nil }
        var blocks = staticBlocks(p, rows: rows, cols: cols, scheme: scheme)
        var position = [Int](repeating: 0, count: cols)
        for (j, c) in p.perm.enumerated() { position[c] = j }
        var codes = [Int32](repeating: 0, count: rows * cols)
        var deq = [Float](repeating: 0, count: rows * cols)
        for j in 0..<cols {
            let c = p.perm[j]
            let d = p.u[j * cols + j]
            for r in 0..<rows {
                let bi = blockIndex(scheme, row: r, col: c, cols: cols)
                if blocks[bi] == nil, case .perGroup(let g) = scheme.granularity {
                    let start = (c / g) * g
                    blocks[bi] = stats(scheme, (start..<(start + g)).map { Float(p.w[r * cols + position[$0]]) })
                }
                let (q, x) = code(p.w[r * cols + j], blocks[bi]!)
                codes[r * cols + c] = q
                deq[r * cols + c] = x
                let err = (p.w[r * cols + j] - Double(x)) / d
                for k in (j + 1)..<max(j + 1, cols) { p.w[r * cols + k] -= err * p.u[j * cols + k] }
            }
        }
        return finish(codes: codes, deq: deq, blocks: blocks, rows: rows, cols: cols, scheme: scheme, flops: p.flops)
    }

    /// Rows per independent piece of ``fast(_:rows:cols:hessian:scheme:options:threads:)``: a constant, so the
    /// result does not depend on the thread count.
    public static let rowChunk = 64

    /// GPTQ with lazy block updates: within a block of `blockSize` columns updates are immediate; the block's
    /// accumulated error is applied to the later columns with one dgemm. Same result as the reference up to
    /// float64 summation order (see the type's notes).
    ///
    /// Rows never interact (a row's errors only update that row), so the rows are cut into fixed chunks of
    /// ``rowChunk`` that run GPTQ independently on up to `threads` threads, sharing H's factor U read-only; each
    /// chunk's lazy update is one single-threaded dgemm on its rows. The bytes are the same for every `threads`.
    public static func fast(_ w: UnsafeBufferPointer<Float>, rows: Int, cols: Int, hessian: [Double],
                            scheme: QuantScheme, options: Options, threads: Int = 1) -> Result? {
        scheme.checkShape(count: w.count, rows: rows, cols: cols, function: "GPTQ.fast")
        precondition(scheme.fit == .minmax, "GPTQ: only min/max block fitting")
        guard var p = prepare(w, rows: rows, cols: cols, hessian: hessian, options: options) else { return nil }
        var blocks = staticBlocks(p, rows: rows, cols: cols, scheme: scheme)
        var position = [Int](repeating: 0, count: cols)
        for (j, c) in p.perm.enumerated() { position[c] = j }
        var codes = [Int32](repeating: 0, count: rows * cols)
        var deq = [Float](repeating: 0, count: rows * cols)
        let perm = p.perm
        p.w.withUnsafeMutableBufferPointer { wb in
            p.u.withUnsafeBufferPointer { ub in
                blocks.withUnsafeMutableBufferPointer { bb in
                    codes.withUnsafeMutableBufferPointer { cb in
                        deq.withUnsafeMutableBufferPointer { db in
                            let shared = Chunk(w: wb, u: ub, blocks: bb, codes: cb, deq: db)
                            LinearAlgebra.forEachBlock(count: rows, block: rowChunk, threads: threads) { rr in
                                shared.run(rows: rr, cols: cols, perm: perm, position: position, scheme: scheme, blockSize: options.blockSize)
                            }
                        }
                    }
                }
            }
        }
        return finish(codes: codes, deq: deq, blocks: blocks, rows: rows, cols: cols, scheme: scheme, flops: p.flops)
    }

    /// The buffers the row chunks of ``fast(_:rows:cols:hessian:scheme:options:threads:)`` share; each chunk
    /// writes only its own rows of `w`, `codes`, `deq` and its rows' entries of `blocks` (per-channel and per-group
    /// blocks are per row; a per-tensor block is fitted before the chunks start and only read).
    struct Chunk: @unchecked Sendable {
        let w: UnsafeMutableBufferPointer<Double>
        let u: UnsafeBufferPointer<Double>
        let blocks: UnsafeMutableBufferPointer<QuantBlock?>
        let codes: UnsafeMutableBufferPointer<Int32>
        let deq: UnsafeMutableBufferPointer<Float>

        func run(rows rr: Range<Int>, cols: Int, perm: [Int], position: [Int], scheme: QuantScheme, blockSize bsz: Int) {
            let w0 = w.baseAddress!, u0 = u.baseAddress!
            let n = rr.count
            var err = [Double](repeating: 0, count: n * bsz)
            var i1 = 0
            while i1 < cols {
                let i2 = min(i1 + bsz, cols)
                let width = i2 - i1
                for j in i1..<i2 {
                    let c = perm[j]
                    let d = u0[j * cols + j]
                    let local = j - i1
                    let urow = u0 + j * cols
                    for (lr, r) in rr.enumerated() {
                        let row = w0 + r * cols
                        let bi = blockIndex(scheme, row: r, col: c, cols: cols)
                        if blocks[bi] == nil, case .perGroup(let g) = scheme.granularity {
                            let start = (c / g) * g
                            let current: [Float] = (start..<(start + g)).map { cc in
                                let pos = position[cc]
                                var v = row[pos]
                                if pos >= i2 { for k in 0..<local { v -= err[lr * bsz + k] * u0[(i1 + k) * cols + pos] } }
                                return Float(v)
                            }
                            blocks[bi] = stats(scheme, current)
                        }
                        let wv = row[j]
                        let (q, x) = code(wv, blocks[bi]!)
                        codes[r * cols + c] = q
                        deq[r * cols + c] = x
                        let e = (wv - Double(x)) / d
                        err[lr * bsz + local] = e
                        for k in (j + 1)..<max(j + 1, i2) { row[k] -= e * urow[k] }
                    }
                }
                if i2 < cols {
                    // W[rr, i2...] −= Err (n × width) · U[i1..<i2, i2...] (width × (cols − i2)).
                    err.withUnsafeBufferPointer { eb in
                        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(cols - i2), Int32(width),
                                    -1, eb.baseAddress!, Int32(bsz), u0 + i1 * cols + i2, Int32(cols),
                                    1, w0 + rr.lowerBound * cols + i2, Int32(cols))
                    }
                }
                i1 = i2
            }
        }
    }

    /// The proxy loss tr(Δ · H · Δᵀ) with Δ = W − Ŵ (rows × cols, float64 via dgemm); with H = 2/n · XᵀX this is
    /// 2/n · ‖(W − Ŵ) Xᵀ‖²_F. Used to compare GPTQ with round to nearest.
    /// Row blocks of Δ·H run on up to `threads` threads (``LinearAlgebra/matmul(_:_:m:k:n:transA:transB:threads:)``).
    public static func proxyLoss(_ w: UnsafeBufferPointer<Float>, _ wHat: [Float], rows: Int, cols: Int, hessian: [Double],
                                 threads: Int = 1) -> Double {
        let delta = (0..<(rows * cols)).map { Double(w[$0]) - Double(wHat[$0]) }
        let dh = LinearAlgebra.matmul(delta, hessian, m: rows, k: cols, n: cols, threads: threads)
        var s = 0.0
        for i in 0..<(rows * cols) { s += dh[i] * delta[i] }
        return s
    }
}
