import COpenBLAS

/// Dense linear algebra for the compression passes, through OpenBLAS (CBLAS) and LAPACKE, row-major.
///
/// These are the reference implementations: LAPACK's algorithms are the specification (no scalar twin is kept,
/// so the "fast matches reference bit for bit" rule does not apply). Results are deterministic for a fixed
/// OpenBLAS thread count; the passes run them with the process-wide count pare sets (1 unless a caller changes
/// it), so outputs do not depend on `--jobs`.
public enum LinearAlgebra {
    /// Thin SVD of a row-major m×n matrix: A = U·diag(s)·Vt with U m×k, s k (descending), Vt k×n, k = min(m, n).
    /// Computed in float64 (LAPACK dgesdd) and returned in float32. Nil when LAPACK does not converge.
    public static func svd(_ a: [Float], rows m: Int, cols n: Int) -> (u: [Float], s: [Float], vt: [Float])? {
        precondition(a.count == m * n)
        let k = min(m, n)
        guard k > 0 else { return ([], [], []) }
        var work = a.map(Double.init)
        var s = [Double](repeating: 0, count: k)
        var u = [Double](repeating: 0, count: m * k)
        var vt = [Double](repeating: 0, count: k * n)
        let info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "S")), Int32(m), Int32(n), &work, Int32(n), &s, &u, Int32(k), &vt, Int32(n))
        guard info == 0 else { return nil }
        return (u.map(Float.init), s.map(Float.init), vt.map(Float.init))
    }

    /// Solves A·X = B for a symmetric positive definite n×n A (row-major, float64) and n×r B, in place of B
    /// (Cholesky, LAPACK dposv). Returns false when A is not positive definite.
    public static func solveSPD(_ a: inout [Double], n: Int, _ b: inout [Double], rhs r: Int) -> Bool {
        precondition(a.count == n * n && b.count == n * r)
        guard n > 0, r > 0 else { return true }
        return LAPACKE_dposv(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "U")), Int32(n), Int32(r), &a, Int32(n), &b, Int32(r)) == 0
    }

    /// The upper Cholesky factor U of A⁻¹ (A⁻¹ = UᵀU) for a symmetric positive definite n×n row-major float64 A, in
    /// place, without forming A⁻¹: with P the order-reversing permutation and P·A·P = L·Lᵀ (lower Cholesky, LAPACK
    /// dpotrf), A⁻¹ = (P·L⁻ᵀ·P)·(P·L⁻¹·P), so U = P·L⁻¹·P (L⁻¹ by LAPACK dtrtri): n³/3 + n³/3 flops instead of
    /// the n³/3 + 2n³/3 + n³/3 of factor, invert, factor again. The strict lower triangle is set to zero. Returns
    /// false when A is not positive definite.
    public static func inverseCholeskyUpper(_ a: inout [Double], n: Int) -> Bool {
        guard n > 0 else { return true }
        var f = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { f[i * n + j] = a[(n - 1 - i) * n + (n - 1 - j)] } }
        guard LAPACKE_dpotrf(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "L")), Int32(n), &f, Int32(n)) == 0,
              LAPACKE_dtrtri(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "L")), CChar(UInt8(ascii: "N")), Int32(n), &f, Int32(n)) == 0 else { return false }
        for i in 0..<n {
            for j in 0..<n {
                // U[i][j] = L⁻¹[n−1−i][n−1−j]; L⁻¹ is lower, so U is upper.
                a[i * n + j] = j >= i ? f[(n - 1 - i) * n + (n - 1 - j)] : 0
            }
        }
        return true
    }

    /// C (n×n, float64, row-major) += Xᵀ·X for a row-major m×n float32 block X (BLAS dsyrk after widening), both
    /// triangles kept equal. Use it to accumulate Gram / Hessian matrices sample by sample.
    public static func addGram(_ c: inout [Double], _ x: [Float], rows m: Int, cols n: Int) {
        precondition(c.count == n * n && x.count == m * n)
        guard m > 0, n > 0 else { return }
        let xd = x.map(Double.init)
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(n), Int32(m), 1, xd, Int32(n), 1, &c, Int32(n))
        for i in 0..<n { for j in 0..<i { c[i * n + j] = c[j * n + i] } }
    }

    /// C (m×n) = op(A)·op(B) in float32, row-major (BLAS sgemm); op(A) m×k, op(B) k×n.
    public static func matmul(_ a: [Float], _ b: [Float], m: Int, k: Int, n: Int, transA: Bool = false, transB: Bool = false) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        guard m > 0, n > 0, k > 0 else { return c }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), Int32(k),
                    1, a, Int32(transA ? m : k), b, Int32(transB ? k : n), 0, &c, Int32(n))
        return c
    }

    /// C (m×n) = op(A)·op(B) in float64, row-major (BLAS dgemm).
    public static func matmul(_ a: [Double], _ b: [Double], m: Int, k: Int, n: Int, transA: Bool = false, transB: Bool = false) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        guard m > 0, n > 0, k > 0 else { return c }
        cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), Int32(k),
                    1, a, Int32(transA ? m : k), b, Int32(transB ? k : n), 0, &c, Int32(n))
        return c
    }
}
