import COpenBLAS

/// The interpreter's matrix products, through OpenBLAS's `cblas_sgemm` (row-major).
///
/// OpenBLAS's threads busy-wait after a threaded call, so the interpreter sets the thread count explicitly
/// (`Interpreter.Options.blasThreads`, default 1) instead of inheriting OpenBLAS's default of one per core.
public enum BLAS {
    /// Sets the number of threads OpenBLAS uses (process-wide).
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }

    /// The number of threads OpenBLAS uses now.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// C = alpha · op(A) · op(B) + beta · C, row-major; op(X) = Xᵀ when `trans…`. A is M×K after op, B K×N,
    /// C M×N with leading dimension `ldc`.
    static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
                      c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
            return
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
