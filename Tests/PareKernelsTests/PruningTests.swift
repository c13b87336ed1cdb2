import struct PareBasics.SplitMix64
import Testing
@testable import PareKernels

/// Inputs for pruning: TestData families plus one with heavy duplication (many magnitude ties).
func pruningInput(_ family: String, count: Int, seed: UInt64) -> [Float] {
    if family == "duplicates" {
        var rng = SplitMix64(seed: seed)
        let values: [Float] = [0, -0.0, 1, -1, 0.5, -0.5, 2, 3]
        return (0..<count).map { _ in values[rng.int(0...7)] }
    }
    return TestData(rawValue: family)!.matrix(rows: 1, cols: count, seed: seed)
}

let pruningFamilies = ["uniform", "zeros", "duplicates", "wideExponent", "huge", "tiny", "nonFinite"]

/// Checks the definition of magnitude pruning on a result: exactly k elements became +0.0, the others are unchanged,
/// and (|x|, index) of every pruned element is below that of every kept element.
func expectMagnitudePruned(_ x: [Float], _ out: [Float], k: Int, sourceLocation: SourceLocation = #_sourceLocation) {
    let key = { (i: Int) in (x[i].bitPattern & 0x7FFF_FFFF, i) }
    let order = x.indices.sorted { key($0) < key($1) }
    let pruned = Set(order.prefix(k))
    for i in x.indices {
        let expected = pruned.contains(i) ? Float(0).bitPattern : x[i].bitPattern
        #expect(out[i].bitPattern == expected, "element \(i)", sourceLocation: sourceLocation)
    }
}

struct PruningTests {
    static let sparsities = [0, 0.1, 0.5, 0.9, 0.999, 1]

    @Test(arguments: pruningFamilies, [0, 1, 2, 7, 1000, 4097])
    func magnitudeFastMatchesReference(family: String, count: Int) {
        let x = pruningInput(family, count: count, seed: UInt64(count))
        x.withUnsafeBufferPointer { b in
            for sparsity in Self.sparsities {
                let expected = Pruning.magnitudeReference(b, sparsity: sparsity)
                expectMagnitudePruned(x, expected, k: Int(sparsity * Double(count)))
                for threads in [1, 2, 3] {
                    #expect(Pruning.magnitude(b, sparsity: sparsity, threads: threads).map(\.bitPattern)
                            == expected.map(\.bitPattern), "\(family) n=\(count) s=\(sparsity) t=\(threads)")
                }
            }
        }
    }

    /// Large enough that histograms and the apply pass really split over threads.
    @Test(arguments: ["uniform", "duplicates"])
    func magnitudeIsThreadIndependent(family: String) {
        let x = pruningInput(family, count: 140_000, seed: 5)
        x.withUnsafeBufferPointer { b in
            let expected = Pruning.magnitudeReference(b, sparsity: 0.5)
            for threads in [1, 2, 4] {
                #expect(Pruning.magnitude(b, sparsity: 0.5, threads: threads).map(\.bitPattern) == expected.map(\.bitPattern))
            }
        }
    }

    @Test func magnitudeExample() {
        let x: [Float] = [3, -1, 0, -0.0, 2, -2, 5]
        x.withUnsafeBufferPointer { b in
            // k = floor(0.5 · 7) = 3: 0, −0 and −1; k = floor(0.6 · 7) = 4 adds the first of the tied ±2.
            let half: [Float] = [3, 0, 0, 0, 2, -2, 5], more: [Float] = [3, 0, 0, 0, 0, -2, 5]
            #expect(Pruning.magnitude(b, sparsity: 0.5, threads: 1).map(\.bitPattern) == half.map(\.bitPattern))
            #expect(Pruning.magnitude(b, sparsity: 0.6, threads: 1).map(\.bitPattern) == more.map(\.bitPattern))
            #expect(Pruning.zeroCount(b) == 2)
        }
    }

    /// Global pruning over several tensors equals magnitude pruning of their concatenation, and each tensor can
    /// be pruned on its own from its plan.
    @Test(arguments: pruningFamilies)
    func globalPlansPruneLikeTheConcatenation(family: String) {
        let sizes = [5, 0, 1000, 333, 1, 64]
        let tensors = sizes.enumerated().map { pruningInput(family, count: $1, seed: UInt64($0 + 1)) }
        let all = tensors.flatMap { $0 }
        for sparsity in [0, 0.3, 0.5, 0.77, 1] {
            let expected = all.withUnsafeBufferPointer { Pruning.magnitudeReference($0, sparsity: sparsity) }
            for threads in [1, 2] {
                let plans = withBuffers(tensors) { Pruning.globalPlans($0, sparsity: sparsity, threads: threads) }
                let single = withBuffers(tensors) { Pruning.globalPlans($0, sparsity: sparsity) }
                #expect(plans.map { [$0.threshold.bitPattern, UInt32($0.ties)] } == single.map { [$0.threshold.bitPattern, UInt32($0.ties)] })
                let pruned = zip(tensors, plans).flatMap { t, plan in t.withUnsafeBufferPointer { Pruning.apply($0, plan: plan) } }
                #expect(pruned.map(\.bitPattern) == expected.map(\.bitPattern), "\(family) s=\(sparsity) t=\(threads)")
            }
        }
    }

    @Test func globalPlanExample() {
        let a: [Float] = [1, 2, 2], b: [Float] = [2, 0.5, 4]
        let plans = withBuffers([a, b]) { Pruning.globalPlans($0, sparsity: 0.5) }
        // k = 3: 0.5, 1 and the first tied 2 (in a, since a comes first).
        #expect(plans == [Pruning.GlobalPlan(threshold: 2, ties: 1), Pruning.GlobalPlan(threshold: 2, ties: 0)])
    }

    static let patterns = [(2, 4), (1, 4), (0, 4), (3, 4), (4, 4), (1, 2), (2, 8), (4, 8), (1, 3), (1, 1), (0, 1), (5, 16)]

    @Test(arguments: pruningFamilies)
    func nmFastMatchesReference(family: String) {
        for (n, m) in Self.patterns {
            for rows in [1, 3, 7] {
                let cols = m * (rows == 7 ? 8 : rows)
                let x = pruningInput(family, count: rows * cols, seed: UInt64(n * 100 + m * 10 + rows))
                x.withUnsafeBufferPointer { b in
                    let expected = Pruning.nmReference(b, rows: rows, cols: cols, n: n, m: m)
                    expectNMPruned(x, expected, n: n, m: m)
                    #expect(expected.withUnsafeBufferPointer { Pruning.satisfiesNM($0, rows: rows, cols: cols, n: n, m: m) })
                    for threads in [1, 2, 3] {
                        #expect(Pruning.nm(b, rows: rows, cols: cols, n: n, m: m, threads: threads).map(\.bitPattern)
                                == expected.map(\.bitPattern), "\(family) \(n):\(m) \(rows)×\(cols) t=\(threads)")
                    }
                }
            }
        }
    }

    @Test(arguments: [4, 8])
    func nmIsThreadIndependent(m: Int) {
        let rows = 64, cols = 1024
        let x = pruningInput("duplicates", count: rows * cols, seed: 9)
        x.withUnsafeBufferPointer { b in
            let expected = Pruning.nmReference(b, rows: rows, cols: cols, n: 2, m: m)
            for threads in [1, 2, 4] {
                #expect(Pruning.nm(b, rows: rows, cols: cols, n: 2, m: m, threads: threads).map(\.bitPattern) == expected.map(\.bitPattern))
            }
        }
    }

    @Test func nmExample() {
        let x: [Float] = [1, -3, 2, 0.5, 0, -0.0, 5, 5, 1, 1, 1, 1]
        x.withUnsafeBufferPointer { b in
            let out = Pruning.nm(b, rows: 1, cols: 12, n: 2, m: 4, threads: 1)
            let expected: [Float] = [0, -3, 2, 0, 0, 0, 5, 5, 1, 1, 0, 0]
            #expect(out.map(\.bitPattern) == expected.map(\.bitPattern))
            #expect(!Pruning.satisfiesNM(b, rows: 1, cols: 12, n: 2, m: 4))
            #expect(!Pruning.satisfiesNM(b, rows: 1, cols: 12, n: 3, m: 4))
            #expect(Pruning.satisfiesNM(b, rows: 1, cols: 12, n: 4, m: 4))
        }
        // Zeros of either sign do not count against the pattern.
        let y: [Float] = [0, -0.0, 7, 0, -0.0, -0.0, 0, 1]
        y.withUnsafeBufferPointer { b in
            #expect(Pruning.satisfiesNM(b, rows: 2, cols: 4, n: 1, m: 4))
            #expect(!Pruning.satisfiesNM(b, rows: 1, cols: 8, n: 1, m: 8))
            #expect(Pruning.satisfiesNM(b, rows: 1, cols: 8, n: 1, m: 2))
            #expect(Pruning.zeroCount(b) == 6)
        }
    }
}

/// Checks the N:M definition: in every group the kept elements are the N largest by (|x| desc, index asc).
func expectNMPruned(_ x: [Float], _ out: [Float], n: Int, m: Int, sourceLocation: SourceLocation = #_sourceLocation) {
    for start in stride(from: 0, to: x.count, by: m) {
        let group = Array(start..<(start + m))
        let ranked = group.sorted { a, b in
            let ka = x[a].bitPattern & 0x7FFF_FFFF, kb = x[b].bitPattern & 0x7FFF_FFFF
            return ka != kb ? ka > kb : a < b
        }
        let kept = Set(ranked.prefix(n))
        for i in group {
            #expect(out[i].bitPattern == (kept.contains(i) ? x[i].bitPattern : 0), "element \(i)", sourceLocation: sourceLocation)
        }
    }
}

/// Calls `body` with buffer pointers to every array (valid only inside `body`).
func withBuffers<R>(_ arrays: [[Float]], _ body: ([UnsafeBufferPointer<Float>]) -> R) -> R {
    func step(_ i: Int, _ acc: [UnsafeBufferPointer<Float>]) -> R {
        if i == arrays.count { return body(acc) }
        return arrays[i].withUnsafeBufferPointer { step(i + 1, acc + [$0]) }
    }
    return step(0, [])
}
