/// Low-rank factorizations for the `lowrank` pass, on top of `LinearAlgebra.svd` (LAPACK dgesdd) and BLAS sgemm.
///
/// - Matrices: W (m×n) ≈ A·B with A = U_r·diag(√σ) (m×r) and B = diag(√σ)·Vt_r (r×n), the best rank-r
///   approximation in the Frobenius norm (Eckart–Young).
/// - Conv kernels W [Cout, Cin, S] (S = the kernel's spatial elements): Tucker-2 by HOSVD. U0 (Cout×r_out) are
///   the leading left singular vectors of the mode-0 unfolding (Cout × Cin·S), U1 (Cin×r_in) those of the mode-1
///   unfolding (Cin × Cout·S), and the core G[a, b, s] = Σ_o Σ_i U0[o, a]·U1[i, b]·W[o, i, s]; then
///   W ≈ G ×0 U0 ×1 U1, i.e. a 1×1 conv Cin→r_in (weights U1ᵀ), the k×k conv r_in→r_out (G) and a 1×1 conv
///   r_out→Cout (U0). Since U0, U1 have orthonormal columns, ‖W − Ŵ‖² = ‖W‖² − ‖G‖².
public enum LowRank {
    /// The smallest r with Σ_{i<r} σ_i² ≥ energy · Σ σ_i² (at least 1, at most s.count); s descending.
    public static func energyRank(_ s: [Float], energy: Double) -> Int {
        let squares = s.map { Double($0) * Double($0) }
        let total = squares.reduce(0, +)
        guard total > 0 else { return 1 }
        var acc = 0.0
        for (i, v) in squares.enumerated() {
            acc += v
            if acc >= energy * total * (1 - 1e-12) { return i + 1 }
        }
        return s.count
    }

    /// The fraction Σ_{i<r} σ_i² / Σ σ_i² of the squared Frobenius norm a rank-r truncation keeps.
    public static func energyKept(_ s: [Float], rank r: Int) -> Double {
        let squares = s.map { Double($0) * Double($0) }
        let total = squares.reduce(0, +)
        guard total > 0 else { return 1 }
        return squares.prefix(r).reduce(0, +) / total
    }

    /// Splits a thin SVD (U m×k, s k, Vt k×n) at rank r: A = U_r·diag(√σ) (m×r), B = diag(√σ)·Vt_r (r×n).
    public static func factors(u: [Float], s: [Float], vt: [Float], rows m: Int, cols n: Int, rank r: Int) -> (a: [Float], b: [Float]) {
        let k = s.count
        precondition(r >= 1 && r <= k && u.count == m * k && vt.count == k * n)
        let root = s.prefix(r).map { Float(Double($0).squareRoot()) }
        var a = [Float](repeating: 0, count: m * r)
        for i in 0..<m { for j in 0..<r { a[i * r + j] = u[i * k + j] * root[j] } }
        var b = [Float](repeating: 0, count: r * n)
        for j in 0..<r { for c in 0..<n { b[j * n + c] = root[j] * vt[j * n + c] } }
        return (a, b)
    }

    /// The mode-1 unfolding of W [Cout, Cin, S]: row i holds W[o, i, s] at column o·S + s (Cin × Cout·S).
    public static func modeOneUnfolding(_ w: [Float], cout: Int, cin: Int, spatial: Int) -> [Float] {
        precondition(w.count == cout * cin * spatial)
        var out = [Float](repeating: 0, count: w.count)
        for o in 0..<cout {
            for i in 0..<cin {
                for s in 0..<spatial { out[(i * cout + o) * spatial + s] = w[(o * cin + i) * spatial + s] }
            }
        }
        return out
    }

    /// The leading r columns of a row-major m×k matrix (m×r).
    public static func leadingColumns(_ u: [Float], rows m: Int, cols k: Int, count r: Int) -> [Float] {
        var out = [Float](repeating: 0, count: m * r)
        for i in 0..<m { for j in 0..<r { out[i * r + j] = u[i * k + j] } }
        return out
    }

    /// The Tucker-2 core G [r_out, r_in, S] of W [Cout, Cin, S] for factors U0 (Cout×r_out) and U1 (Cin×r_in):
    /// T = U0ᵀ·W₍₀₎ (r_out × Cin·S), then G[a] = U1ᵀ·T[a] (r_in × S) for each a (BLAS sgemm, float32 accumulation).
    public static func tuckerCore(_ w: [Float], cout: Int, cin: Int, spatial: Int, u0: [Float], rOut: Int, u1: [Float], rIn: Int) -> [Float] {
        let t = LinearAlgebra.matmul(u0, w, m: rOut, k: cout, n: cin * spatial, transA: true)
        var g = [Float](repeating: 0, count: rOut * rIn * spatial)
        for a in 0..<rOut {
            let slice = Array(t[(a * cin * spatial)..<((a + 1) * cin * spatial)])
            let ga = LinearAlgebra.matmul(u1, slice, m: rIn, k: cin, n: spatial, transA: true)
            for x in 0..<(rIn * spatial) { g[a * rIn * spatial + x] = ga[x] }
        }
        return g
    }

    /// Rebuilds W [Cout, Cin, S] from a Tucker-2 decomposition (for tests and error measurement):
    /// W[o, i, s] = Σ_a Σ_b U0[o, a]·G[a, b, s]·U1[i, b].
    public static func tuckerReconstruct(core g: [Float], u0: [Float], u1: [Float], cout: Int, cin: Int, spatial: Int, rOut: Int, rIn: Int) -> [Float] {
        // H = U0·G₍₀₎ (Cout × r_in·S); then W[o] = U1·H[o] (Cin × S).
        let h = LinearAlgebra.matmul(u0, g, m: cout, k: rOut, n: rIn * spatial)
        var w = [Float](repeating: 0, count: cout * cin * spatial)
        for o in 0..<cout {
            let ho = Array(h[(o * rIn * spatial)..<((o + 1) * rIn * spatial)])
            let wo = LinearAlgebra.matmul(u1, ho, m: cin, k: rIn, n: spatial)
            for x in 0..<(cin * spatial) { w[o * cin * spatial + x] = wo[x] }
        }
        return w
    }

    /// Estimated floating-point operations of a thin SVD with vectors of an m×n matrix (k = min, l = max):
    /// 4·l·k² + 8·k³, the usual count for bidiagonalization plus divide-and-conquer (for throughput reports).
    public static func svdFLOPs(rows m: Int, cols n: Int) -> Double {
        let k = Double(min(m, n)), l = Double(max(m, n))
        return 4 * l * k * k + 8 * k * k * k
    }
}
