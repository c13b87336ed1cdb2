import struct PareBasics.SplitMix64
import Testing
@testable import PareKernels

/// Streaming activation histograms: the fast path matches the scalar reference bit for bit, the state does not
/// depend on batch boundaries, merge equals sequential collection, and the documented range / bin rules hold.
struct ActivationHistogramTests {
    static let binCounts = [4, 64, 2048]

    /// Exact equality including the bit patterns of min and max.
    func expectSame(_ a: ActivationHistogram, _ b: ActivationHistogram, _ note: String) {
        #expect(a == b, "\(note)")
        #expect(a.lo.bitPattern == b.lo.bitPattern && a.hi.bitPattern == b.hi.bitPattern, "\(note)")
    }

    /// `x` cut into batches of seeded random sizes (including empty ones).
    func batches(_ x: [Float], seed: UInt64) -> [[Float]] {
        var rng = SplitMix64(seed: seed)
        var out: [[Float]] = [], start = 0
        while start < x.count {
            let n = Swift.min(x.count - start, rng.int(0...700))
            out.append(Array(x[start..<(start + n)]))
            start += n
        }
        return out
    }

    func collect(_ parts: [[Float]], binCount: Int, reference: Bool = false) -> ActivationHistogram {
        var h = ActivationHistogram(binCount: binCount)
        for part in parts {
            withBuffer(part) { reference ? h.addReference($0) : h.add($0) }
        }
        return h
    }

    @Test(arguments: TestData.allCases, binCounts)
    func fastMatchesReference(data: TestData, binCount: Int) {
        for (rows, cols, seed) in [(1, 1, 1 as UInt64), (3, 17, 2), (40, 97, 3), (8, 1000, 4)] {
            let x = data.matrix(rows: rows, cols: cols, seed: seed, blockLength: cols)
            let parts = batches(x, seed: seed &+ UInt64(binCount))
            let reference = collect(parts, binCount: binCount, reference: true)
            let fast = collect(parts, binCount: binCount)
            let whole = collect([x], binCount: binCount)
            expectSame(fast, reference, "\(data) \(rows)×\(cols) fast vs reference")
            expectSame(whole, reference, "\(data) \(rows)×\(cols) one batch vs many")
            #expect(reference.count + reference.nonFiniteCount == UInt64(x.count))
            #expect(reference.positiveBins.reduce(0, +) + reference.negativeBins.reduce(0, +) == reference.count)
        }
    }

    /// Parallel collection: each part collected alone, then merged in three orders, equals sequential collection.
    @Test(arguments: TestData.allCases, [2, 3, 7])
    func mergeEqualsSequential(data: TestData, parts: Int) {
        let x = data.matrix(rows: 30, cols: 101, seed: UInt64(parts))
        let pieces = batches(x, seed: 99 &+ UInt64(parts)).enumerated().reduce(into: [[Float]](repeating: [], count: parts)) {
            $0[$1.offset % parts] += $1.element
        }
        let sequential = collect(pieces, binCount: 256)
        let each = pieces.map { collect([$0], binCount: 256, reference: true) }
        var left = ActivationHistogram(binCount: 256)
        for h in each { left.merge(h) }
        var right = ActivationHistogram(binCount: 256)
        for h in each.reversed() { right.merge(h) }
        var pairwise = each
        while pairwise.count > 1 {
            var next: [ActivationHistogram] = []
            for i in stride(from: 0, to: pairwise.count, by: 2) {
                var h = pairwise[i]
                if i + 1 < pairwise.count { h.merge(pairwise[i + 1]) }
                next.append(h)
            }
            pairwise = next
        }
        expectSame(left, sequential, "\(data) left fold")
        expectSame(right, sequential, "\(data) right fold")
        expectSame(pairwise[0], sequential, "\(data) tree")
    }

    /// Parts whose ranges differ by many doublings (each part is merged into a histogram of another range).
    @Test(arguments: [Float(1e-30), 1e-3, 1, 1e3, 1e30])
    func mergeAcrossRanges(scale: Float) {
        let x = TestData.uniform.matrix(rows: 4, cols: 250, seed: 8)
        let pieces = [x[0..<300].map { $0 * scale }, x[300..<600].map { $0 * 1e-6 }, Array(x[600...]), [-0.0, .nan]]
        let sequential = collect(pieces, binCount: 64, reference: true)
        for order in [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2]] {
            var merged = ActivationHistogram(binCount: 64)
            for i in order { merged.merge(collect([pieces[i]], binCount: 64)) }
            expectSame(merged, sequential, "scale \(scale) order \(order)")
        }
    }

    /// A hand-computed sequence: range growth by doubling, pairwise merging, the half-open bin rule, −0 and
    /// rejected values.
    @Test(arguments: [false, true])
    func handComputed(reference: Bool) {
        var h = ActivationHistogram(binCount: 4)
        func add(_ x: [Float]) { withBuffer(x) { reference ? h.addReference($0) : h.add($0) } }
        add([0.5])                                  // R = 1, w = 0.25: bin 2
        #expect(h.rangeExponent == 0 && Array(h.positiveBins) == [0, 0, 1, 0])
        add([1.0])                                  // R = 2, w = 0.5: old bin 2 → 1; 1.0 on a boundary → bin 2
        #expect(h.rangeExponent == 1 && Array(h.positiveBins) == [0, 1, 1, 0])
        add([-1.75, -0.0, .nan, .infinity, 0.25, -.infinity])
        #expect(Array(h.positiveBins) == [2, 1, 1, 0])
        #expect(Array(h.negativeBins) == [0, 0, 0, 1])
        #expect(h.count == 5 && h.nonFiniteCount == 3 && h.min == -1.75 && h.max == 1.0)
        add([3.0])                                  // R = 4, w = 1: [2,1,1,0] → [3,1,0,0], 3.0 → bin 3
        #expect(h.rangeExponent == 2 && h.range == 4 && h.binWidth == 1)
        #expect(Array(h.positiveBins) == [3, 1, 0, 1])
        #expect(Array(h.negativeBins) == [0, 1, 0, 0])
        #expect(h.magnitudeBins == [3, 2, 0, 1])
        #expect(h.maxMagnitude == 3)
        add([-0.0, 0])                              // zeros are +0: max stays, min stays
        #expect(h.positiveBins.first == 5 && h.min == -1.75)
    }

    /// Extremes: empty and all-rejected histograms, only zeros (a −0 min is reported as +0), the largest finite
    /// value (R = 2^128), the smallest normal and subnormals at the minimum range.
    @Test(arguments: [false, true])
    func extremes(reference: Bool) {
        func make(_ x: [Float], bins: Int = 2048) -> ActivationHistogram {
            var h = ActivationHistogram(binCount: bins)
            withBuffer(x) { reference ? h.addReference($0) : h.add($0) }
            return h
        }
        let empty = make([.nan, .infinity])
        #expect(empty.count == 0 && empty.nonFiniteCount == 2 && empty.min == nil && empty.max == nil)
        #expect(empty.rangeExponent == 11 - 127 && empty == make([.nan, -.infinity]))
        let zeros = make([-0.0, -0.0])
        #expect(zeros.min!.bitPattern == 0 && zeros.max!.bitPattern == 0 && zeros.positiveBins.first == 2)
        #expect(zeros.rangeExponent == -116)
        let huge = make([.greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1])
        #expect(huge.rangeExponent == 128 && huge.positiveBins.last == 1 && huge.negativeBins.last == 1)
        #expect(huge.positiveBins.first == 1)
        let tiny = make([.leastNormalMagnitude, .leastNonzeroMagnitude, -.leastNonzeroMagnitude])
        #expect(tiny.rangeExponent == -116)                       // w = 2^-127: 2^-126 → bin 2
        #expect(Array(tiny.positiveBins.prefix(3)) == [1, 0, 1] && tiny.negativeBins.first == 1)
        let small = make([.leastNormalMagnitude], bins: 4)      // minimum exponent 2 − 127 = −125
        #expect(small.rangeExponent == -125 && Array(small.positiveBins) == [0, 0, 1, 0])
    }
}
