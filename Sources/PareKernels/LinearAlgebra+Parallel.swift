import COpenBLAS

/// Multi-threaded dense linear algebra whose results do not depend on the thread count.
///
/// OpenBLAS's own threading is not usable for that: with 1, 2, 3 or 4 OpenBLAS threads, dgemm, dgesdd, dpotri and
/// dposv each give four different results on this machine's OpenBLAS 0.3.21 (measured; only dsyrk agreed). So
/// OpenBLAS stays at one thread and these functions split the work themselves: the result is cut into blocks of
/// a fixed size (``rowBlock``, ``columnBlock``: constants, never derived from the thread count), each block is
/// computed by one single-threaded BLAS / LAPACK call, and the blocks are spread over `threads` threads. Every
/// output element is therefore computed by the same call on the same operands whatever `threads` is.
/// (Concurrent single-threaded OpenBLAS calls from several threads were checked to give the same bytes as
/// serial ones.)
extension LinearAlgebra {
    /// Rows of C per block in ``matmul(_:_:m:k:n:transA:transB:threads:)``.
    public static let rowBlock = 128
    /// Columns per block in ``addGram(_:_:rows:cols:threads:)`` and right-hand sides per block in
    /// ``solveSPD(_:n:_:rhs:threads:)``.
    public static let columnBlock = 64

    /// Calls `body` for each fixed block `[b·block, min((b+1)·block, count))` of `0..<count`, on up to `threads`
    /// threads (each block exactly once).
    /// Blocks are dealt to the threads in turn (thread i takes blocks i, i + T, …), which also balances work that
    /// grows with the block index (the Gram's triangle).
    static func forEachBlock(count: Int, block: Int, threads: Int, _ body: (Range<Int>) -> Void) {
        let blocks = (count + block - 1) / block
        let t = Swift.max(1, Swift.min(threads, blocks))
        Parallel.forEachRange(count: t, threads: t) { _, pieces in
            for piece in pieces {
                for b in stride(from: piece, to: blocks, by: t) { body((b * block)..<Swift.min(count, (b + 1) * block)) }
            }
        }
    }

    /// C (n×n, float64, row-major) += Xᵀ·X for a row-major m×n float32 X, both triangles equal.
    ///
    /// For each fixed block J of ``columnBlock`` columns, one dgemm computes C[0..<max J + 1, J] += X[:, 0..<max J + 1]ᵀ·X[:, J]
    /// (the upper triangle and the diagonal block); the strict lower triangle is then copied from the upper.
    public static func addGram(_ c: inout [Double], _ x: [Float], rows m: Int, cols n: Int, threads: Int) {
        precondition(c.count == n * n && x.count == m * n)
        guard m > 0, n > 0 else { return }
        let xd = x.map(Double.init)
        xd.withUnsafeBufferPointer { xb in
            c.withUnsafeMutableBufferPointer { cb in
                let x0 = xb.baseAddress!, c0 = cb.baseAddress!
                forEachBlock(count: n, block: columnBlock, threads: threads) { j in
                    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(j.upperBound), Int32(j.count), Int32(m),
                                1, x0, Int32(n), x0 + j.lowerBound, Int32(n), 1, c0 + j.lowerBound, Int32(n))
                }
                mirrorUpper(c0, n: n)
            }
        }
    }

    /// Copies the strict upper triangle of a row-major n×n matrix onto the lower, in 64×64 tiles (a plain
    /// column walk misses the cache on every element for large n).
    static func mirrorUpper(_ c: UnsafeMutablePointer<Double>, n: Int) {
        let tile = 64
        for i0 in stride(from: 0, to: n, by: tile) {
            for j0 in stride(from: 0, through: i0, by: tile) {
                for i in i0..<Swift.min(i0 + tile, n) {
                    for j in j0..<Swift.min(j0 + tile, i) { c[i * n + j] = c[j * n + i] }
                }
            }
        }
    }

    /// C (m×n) = op(A)·op(B) in float32, row-major; op(A) m×k, op(B) k×n. One sgemm per fixed block of
    /// ``rowBlock`` rows of C.
    public static func matmul(_ a: [Float], _ b: [Float], m: Int, k: Int, n: Int, transA: Bool = false, transB: Bool = false,
                              threads: Int) -> [Float] {
        byRowBlocks(a, b, m: m, k: k, n: n, transA: transA, threads: threads) { rows, ar, b0, cr in
            cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, rows, Int32(n), Int32(k),
                        1, ar, Int32(transA ? m : k), b0, Int32(transB ? k : n), 0, cr, Int32(n))
        }
    }

    /// C (m×n) = op(A)·op(B) in float64, row-major; one dgemm per fixed block of ``rowBlock`` rows of C.
    public static func matmul(_ a: [Double], _ b: [Double], m: Int, k: Int, n: Int, transA: Bool = false, transB: Bool = false,
                              threads: Int) -> [Double] {
        byRowBlocks(a, b, m: m, k: k, n: n, transA: transA, threads: threads) { rows, ar, b0, cr in
            cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, rows, Int32(n), Int32(k),
                        1, ar, Int32(transA ? m : k), b0, Int32(transB ? k : n), 0, cr, Int32(n))
        }
    }

    /// The m×n product whose fixed blocks of ``rowBlock`` rows `gemm(rows, op(A)'s first row, B, C's first row)`
    /// computes (op(A)'s rows are A's rows, or A's columns when `transA`).
    static func byRowBlocks<T: BinaryFloatingPoint>(_ a: [T], _ b: [T], m: Int, k: Int, n: Int, transA: Bool, threads: Int,
                                                    _ gemm: (Int32, UnsafePointer<T>, UnsafePointer<T>, UnsafeMutablePointer<T>) -> Void) -> [T] {
        var c = [T](repeating: 0, count: m * n)
        guard m > 0, n > 0, k > 0 else { return c }
        a.withUnsafeBufferPointer { ab in
            b.withUnsafeBufferPointer { bb in
                c.withUnsafeMutableBufferPointer { cb in
                    let a0 = ab.baseAddress!, b0 = bb.baseAddress!, c0 = cb.baseAddress!
                    forEachBlock(count: m, block: rowBlock, threads: threads) { r in
                        gemm(Int32(r.count), transA ? a0 + r.lowerBound : a0 + r.lowerBound * k, b0, c0 + r.lowerBound * n)
                    }
                }
            }
        }
        return c
    }

    /// Solves A·X = B for a symmetric positive definite n×n A (row-major, float64) and n×r B, in place of B: one
    /// Cholesky factorization (LAPACK dpotrf, on A in place), then one dpotrs per fixed block of ``columnBlock``
    /// right-hand sides. Returns false when A is not positive definite.
    public static func solveSPD(_ a: inout [Double], n: Int, _ b: inout [Double], rhs r: Int, threads: Int) -> Bool {
        precondition(a.count == n * n && b.count == n * r)
        guard n > 0, r > 0 else { return true }
        guard LAPACKE_dpotrf(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "U")), Int32(n), &a, Int32(n)) == 0 else { return false }
        a.withUnsafeBufferPointer { ab in
            b.withUnsafeMutableBufferPointer { bb in
                let a0 = ab.baseAddress!, b0 = bb.baseAddress!
                forEachBlock(count: r, block: columnBlock, threads: threads) { cols in
                    // After a successful dpotrf, dpotrs fails only on an invalid argument.
                    let info = LAPACKE_dpotrs(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "U")), Int32(n), Int32(cols.count), a0, Int32(n),
                                              b0 + cols.lowerBound, Int32(r))
                    precondition(info == 0, "dpotrs: invalid argument \(-info)")
                }
            }
        }
        return true
    }
}

extension LinearAlgebra {
    /// For each column c of the n×r right-hand side B (row-major, float64), solves A[S, S]·x = B[S, c] on the
    /// index set S = `supports[c]` (ascending, within 0..<n) of the symmetric positive definite n×n A (Cholesky:
    /// one dposv per column) and writes x into rows S of column c of the n×r result, zeros elsewhere. Columns run on
    /// up to `threads` threads, each solved by the same single call whatever `threads` is. Nil when some A[S, S] is
    /// not positive definite.
    public static func solveSPDOnSupports(_ a: [Double], n: Int, _ b: [Double], rhs r: Int, supports: [[Int]],
                                          threads: Int) -> [Double]? {
        precondition(a.count == n * n && b.count == n * r && supports.count == r)
        var out = [Double](repeating: 0, count: n * r)
        var failed = [Bool](repeating: false, count: r)
        out.withUnsafeMutableBufferPointer { ob in
            failed.withUnsafeMutableBufferPointer { fb in
                nonisolated(unsafe) let o = ob, f = fb
                Parallel.forEachRange(count: r, threads: threads) { _, columns in
                    for c in columns {
                        let idx = supports[c]
                        let s = idx.count
                        guard s > 0 else { continue }
                        var sub = [Double](repeating: 0, count: s * s), rhs = [Double](repeating: 0, count: s)
                        for (p, ip) in idx.enumerated() {
                            rhs[p] = b[ip * r + c]
                            for (q, iq) in idx.enumerated() { sub[p * s + q] = a[ip * n + iq] }
                        }
                        guard solveSPD(&sub, n: s, &rhs, rhs: 1) else { f[c] = true; continue }
                        for (p, ip) in idx.enumerated() { o[ip * r + c] = rhs[p] }
                    }
                }
            }
        }
        return failed.contains(true) ? nil : out
    }
}
