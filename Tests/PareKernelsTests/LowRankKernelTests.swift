import Testing
import PareBasics
import PareKernels

/// `LowRank`: truncated-SVD factors and Tucker-2 reconstruct what they should.
struct LowRankKernelTests {
    static func random(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in Float(Double(rng.next() >> 11) / Double(1 << 53) * 2 - 1) }
    }

    static func maxError(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max() ?? 0 }

    @Test(arguments: [(20, 30, 5), (40, 12, 3), (16, 16, 16)])
    func svdFactorsReconstructAnExactLowRankMatrix(m: Int, n: Int, r: Int) throws {
        let w = LinearAlgebra.matmul(Self.random(m * r, seed: 1), Self.random(r * n, seed: 2), m: m, k: r, n: n)
        let svd = try #require(LinearAlgebra.svd(w, rows: m, cols: n))
        #expect(LowRank.energyRank(svd.s, energy: 0.999999) == r)
        let f = LowRank.factors(u: svd.u, s: svd.s, vt: svd.vt, rows: m, cols: n, rank: r)
        let back = LinearAlgebra.matmul(f.a, f.b, m: m, k: r, n: n)
        #expect(Self.maxError(back, w) < 1e-4)
        #expect(abs(LowRank.energyKept(svd.s, rank: r) - 1) < 1e-6)
        // A smaller rank leaves exactly the dropped energy as squared error (Eckart–Young).
        if r > 1 {
            let g = LowRank.factors(u: svd.u, s: svd.s, vt: svd.vt, rows: m, cols: n, rank: r - 1)
            let approx = LinearAlgebra.matmul(g.a, g.b, m: m, k: r - 1, n: n)
            let err = zip(approx, w).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
            let total = w.reduce(0.0) { $0 + Double($1) * Double($1) }
            #expect(abs(err / total - (1 - LowRank.energyKept(svd.s, rank: r - 1))) < 1e-4)
        }
    }

    @Test func energyRankCountsSquaredSingularValues() {
        let s: [Float] = [3, 2, 1, 0]   // squares 9, 4, 1, 0 of 14
        #expect(LowRank.energyRank(s, energy: 0.5) == 1)
        #expect(LowRank.energyRank(s, energy: 9.0 / 14) == 1)
        #expect(LowRank.energyRank(s, energy: 0.7) == 2)
        #expect(LowRank.energyRank(s, energy: 1) == 3)
        #expect(LowRank.energyRank([0, 0], energy: 0.5) == 1)
    }

    @Test func tuckerTwoReconstructsAKernelOfLowMultilinearRank() throws {
        // W = G ×0 A ×1 B with G [3, 2, 9], A 8×3, B 5×2: multilinear ranks (3, 2).
        let cout = 8, cin = 5, spatial = 9, rOut = 3, rIn = 2
        let w = LowRank.tuckerReconstruct(core: Self.random(rOut * rIn * spatial, seed: 3), u0: Self.random(cout * rOut, seed: 4),
                                          u1: Self.random(cin * rIn, seed: 5), cout: cout, cin: cin, spatial: spatial, rOut: rOut, rIn: rIn)
        let s0 = try #require(LinearAlgebra.svd(w, rows: cout, cols: cin * spatial))
        let m1 = LowRank.modeOneUnfolding(w, cout: cout, cin: cin, spatial: spatial)
        #expect(m1[(2 * cout + 3) * spatial + 4] == w[(3 * cin + 2) * spatial + 4])
        let s1 = try #require(LinearAlgebra.svd(m1, rows: cin, cols: cout * spatial))
        #expect(LowRank.energyRank(s0.s, energy: 0.999999) == rOut && LowRank.energyRank(s1.s, energy: 0.999999) == rIn)
        let u0 = LowRank.leadingColumns(s0.u, rows: cout, cols: s0.s.count, count: rOut)
        let u1 = LowRank.leadingColumns(s1.u, rows: cin, cols: s1.s.count, count: rIn)
        let core = LowRank.tuckerCore(w, cout: cout, cin: cin, spatial: spatial, u0: u0, rOut: rOut, u1: u1, rIn: rIn)
        let back = LowRank.tuckerReconstruct(core: core, u0: u0, u1: u1, cout: cout, cin: cin, spatial: spatial, rOut: rOut, rIn: rIn)
        #expect(Self.maxError(back, w) < 1e-4)
    }
}
