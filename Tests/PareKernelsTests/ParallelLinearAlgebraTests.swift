import Testing
import PareBasics
@testable import PareKernels

/// The multi-threaded linear algebra (``LinearAlgebra``'s `threads:` functions and ``GPTQ/fast``): the same bytes
/// for every thread count, and the same values as the single-call versions up to float rounding.
struct ParallelLinearAlgebraTests {
    static func random(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in rng.float(-1, 1) }
    }

    static func maxRelative(_ a: [Double], _ b: [Double]) -> Double {
        let scale = a.map(abs).max() ?? 1
        return zip(a, b).map { abs($0 - $1) }.max().map { $0 / max(scale, 1e-300) } ?? 0
    }

    static let threadCounts = [1, 2, 3, 7]

    /// Sizes straddle the fixed blocks: smaller than one block, not a multiple, several blocks.
    @Test(arguments: [(50, 13, UInt64(1)), (300, 130, 2), (1000, 64, 3), (90, 200, 4)])
    func gramIsThreadCountIndependent(rows m: Int, cols n: Int, seed: UInt64) {
        let x = Self.random(m * n, seed: seed)
        var serial = [Double](repeating: 0, count: n * n)
        LinearAlgebra.addGram(&serial, x, rows: m, cols: n)
        var results: [[Double]] = []
        for t in Self.threadCounts {
            // Accumulates onto a non-zero C (twice), as the Hessian does sample by sample.
            var c = [Double](repeating: 0, count: n * n)
            LinearAlgebra.addGram(&c, x, rows: m, cols: n, threads: t)
            LinearAlgebra.addGram(&c, x, rows: m, cols: n, threads: t)
            results.append(c)
            for i in 0..<n { for j in 0..<n { #expect(c[i * n + j] == c[j * n + i]) } }
        }
        for r in results.dropFirst() { #expect(r == results[0]) }
        #expect(Self.maxRelative(serial.map { 2 * $0 }, results[0]) < 1e-12)
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matmulIsThreadCountIndependent(transA: Bool, transB: Bool) {
        let (m, k, n) = (203, 77, 45)
        let a = Self.random(m * k, seed: 11), b = Self.random(k * n, seed: 12)
        let serial = LinearAlgebra.matmul(a, b, m: m, k: k, n: n, transA: transA, transB: transB)
        let outs = Self.threadCounts.map { LinearAlgebra.matmul(a, b, m: m, k: k, n: n, transA: transA, transB: transB, threads: $0) }
        for o in outs.dropFirst() { #expect(o == outs[0]) }
        #expect(Self.maxRelative(serial.map(Double.init), outs[0].map(Double.init)) < 1e-5)
        let ad = a.map(Double.init), bd = b.map(Double.init)
        let serialD = LinearAlgebra.matmul(ad, bd, m: m, k: k, n: n, transA: transA, transB: transB)
        let outsD = Self.threadCounts.map { LinearAlgebra.matmul(ad, bd, m: m, k: k, n: n, transA: transA, transB: transB, threads: $0) }
        for o in outsD.dropFirst() { #expect(o == outsD[0]) }
        #expect(Self.maxRelative(serialD, outsD[0]) < 1e-13)
    }

    /// A well-conditioned SPD system with 150 right-hand sides (three blocks, the last partial).
    @Test(arguments: [UInt64(5), 6])
    func solveIsThreadCountIndependent(seed: UInt64) throws {
        let n = 90, r = 150
        let x = Self.random(400 * n, seed: seed)
        var a = [Double](repeating: 0, count: n * n)
        LinearAlgebra.addGram(&a, x, rows: 400, cols: n)
        let b = Self.random(n * r, seed: seed + 100).map(Double.init)
        var solutions: [[Double]] = []
        for t in Self.threadCounts {
            var f = a, s = b
            #expect(LinearAlgebra.solveSPD(&f, n: n, &s, rhs: r, threads: t))
            solutions.append(s)
        }
        for s in solutions.dropFirst() { #expect(s == solutions[0]) }
        // A·X = B.
        let ax = LinearAlgebra.matmul(a, solutions[0], m: n, k: n, n: r)
        #expect(Self.maxRelative(b, ax) < 1e-9)
        // Not positive definite: a clear false, not a crash.
        var bad = a
        bad[0] = -1
        var s = b
        #expect(!LinearAlgebra.solveSPD(&bad, n: n, &s, rhs: r, threads: 2))
    }

    /// Each column solved on its own support: zeros outside it, the restricted normal equations hold inside it.
    @Test func supportSolvesAreThreadCountIndependent() throws {
        let n = 40, r = 70
        let x = Self.random(200 * n, seed: 9)
        var a = [Double](repeating: 0, count: n * n)
        LinearAlgebra.addGram(&a, x, rows: 200, cols: n)
        let b = Self.random(n * r, seed: 10).map(Double.init)
        var rng = SplitMix64(seed: 3)
        let supports: [[Int]] = (0..<r).map { c in c == 5 ? [] : (0..<n).filter { _ in rng.float(0, 1) < 0.6 } }
        let outs = try Self.threadCounts.map { try #require(LinearAlgebra.solveSPDOnSupports(a, n: n, b, rhs: r, supports: supports, threads: $0)) }
        for o in outs.dropFirst() { #expect(o == outs[0]) }
        let sol = outs[0]
        for c in 0..<r {
            let s = Set(supports[c])
            for i in 0..<n where !s.contains(i) { #expect(sol[i * r + c] == 0) }
            for i in supports[c] {
                let lhs = supports[c].reduce(0.0) { $0 + a[i * n + $1] * sol[$1 * r + c] }
                #expect(abs(lhs - b[i * r + c]) < 1e-8 * max(1, abs(b[i * r + c])))
            }
        }
    }

    /// GPTQ's row chunks: identical codes, scales and values for every thread count, rows not a multiple of the chunk.
    @Test(arguments: [(0, false), (1, true), (2, false)])
    func gptqIsThreadCountIndependent(scheme s: Int, actOrder: Bool) throws {
        let rows = GPTQ.rowChunk * 2 + 21, cols = 64
        let (w, h) = GPTQTests.problem(rows: rows, cols: cols, n: 200, seed: UInt64(40 + s))
        let scheme = GPTQTests.schemes[s]
        let o = GPTQ.Options(damping: 0.01, actOrder: actOrder, blockSize: 16)
        let results = try Self.threadCounts.map { t in
            try #require(w.withUnsafeBufferPointer { GPTQ.fast($0, rows: rows, cols: cols, hessian: h, scheme: scheme, options: o, threads: t) })
        }
        for r in results.dropFirst() {
            #expect(r.quantized == results[0].quantized)
            #expect(r.dequantized == results[0].dequantized)
        }
        // And the chunked fast version still matches the column-by-column reference.
        let ref = try #require(w.withUnsafeBufferPointer { GPTQ.reference($0, rows: rows, cols: cols, hessian: h, scheme: scheme, options: o) })
        #expect(ref.quantized == results[0].quantized)
    }
}

extension ParallelLinearAlgebraTests {
    /// U from one Cholesky and one triangular inverse satisfies UᵀU·A = I and is upper triangular with a positive diagonal.
    @Test(arguments: [1, 7, 130])
    func inverseCholeskyFactor(n: Int) throws {
        let x = Self.random(3 * n * n + 10 * n, seed: UInt64(n))
        var a = [Double](repeating: 0, count: n * n)
        LinearAlgebra.addGram(&a, x, rows: x.count / n, cols: n)
        var u = a
        #expect(LinearAlgebra.inverseCholeskyUpper(&u, n: n))
        for i in 0..<n {
            #expect(u[i * n + i] > 0)
            for j in 0..<i { #expect(u[i * n + j] == 0) }
        }
        let utu = LinearAlgebra.matmul(u, u, m: n, k: n, n: n, transA: true)
        let product = LinearAlgebra.matmul(utu, a, m: n, k: n, n: n)
        for i in 0..<n { for j in 0..<n { #expect(abs(product[i * n + j] - (i == j ? 1 : 0)) < 1e-8) } }
        var bad = a
        bad[0] = -1
        #expect(!LinearAlgebra.inverseCholeskyUpper(&bad, n: n))
    }
}
