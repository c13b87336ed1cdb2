import Foundation
import struct PareBasics.SplitMix64
import Testing
@testable import PareKernels

/// Range methods: hand-computed histograms, percentile 100 = minmax, entropy / mse thresholds within sensible
/// bounds on Gaussian, uniform and Laplacian data, and determinism.
struct RangeMethodTests {
    enum Distribution: String, CaseIterable, CustomStringConvertible {
        case gaussian, uniform, laplacian, relu
        var description: String { rawValue }

        /// n seeded samples (σ = 1, uniform on [−1, 1), Laplace scale 1, ReLU of a Gaussian).
        func samples(_ n: Int, seed: UInt64) -> [Float] {
            var rng = SplitMix64(seed: seed)
            func unit() -> Double { (Double(rng.next() >> 11) + 0.5) * 0x1p-53 }
            return (0..<n).map { _ in
                switch self {
                case .gaussian, .relu:
                    let g = Float((-2 * log(unit())).squareRoot() * cos(2 * Double.pi * unit()))
                    return self == .relu ? Swift.max(g, 0) : g
                case .uniform:
                    return rng.float(-1, 1)
                case .laplacian:
                    let u = unit() - 0.5
                    return Float(-(u < 0 ? -1.0 : 1.0) * log(1 - 2 * abs(u)))
                }
            }
        }
    }

    func histogram(_ x: [Float], binCount: Int = 2048) -> ActivationHistogram {
        var h = ActivationHistogram(binCount: binCount)
        withBuffer(x) { h.add($0) }
        return h
    }

    func bits(_ r: (lo: Float, hi: Float)) -> [UInt32] { [r.lo.bitPattern, r.hi.bitPattern] }

    /// Four values one per bin (R = 4, w = 1): percentiles land on bin upper edges, clamped to the max.
    @Test func percentileHandComputed() {
        let h = histogram([0.5, 1.5, 2.5, 3.5], binCount: 4)
        #expect(bits(RangeMethod.percentile(50).range(h, levels: 256, symmetric: true)) == bits((-2, 2)))
        #expect(bits(RangeMethod.percentile(75).range(h, levels: 256, symmetric: true)) == bits((-3, 3)))
        #expect(bits(RangeMethod.percentile(100).range(h, levels: 256, symmetric: true)) == bits((-3.5, 3.5)))
        #expect(bits(RangeMethod.minmax.range(h, levels: 256, symmetric: false)) == bits((0, 3.5)))
        // Signed: pos [1,0,0,1], neg [1,0,0,1]; p = 50 cuts 25 % per tail: k = ⌈0.75 · 4⌉ = 3.
        let s = histogram([-3.5, -0.5, 0.5, 3.5], binCount: 4)
        #expect(bits(RangeMethod.percentile(50).range(s, levels: 256, symmetric: false)) == bits((-1, 1)))
        #expect(bits(RangeMethod.percentile(100).range(s, levels: 256, symmetric: false)) == bits((-3.5, 3.5)))
        let empty = ActivationHistogram(binCount: 4)
        for method in [RangeMethod.minmax, .percentile(99), .entropy, .mse] {
            #expect(bits(method.range(empty, levels: 256, symmetric: true)) == bits((0, 0)))
        }
    }

    /// 100 values at 0.5 and one at 3.5, 4 bins of width 1, levels 4 (Δ = 2t/3):
    /// E(1) = 100·(2/3)²/12 + 2.5² ≈ 9.95, E(2) ≈ 17.06, E(3) ≈ 33.58, E(3.5) ≈ 45.8 → t = 1.
    @Test func mseHandComputed() {
        let h = histogram([Float](repeating: 0.5, count: 100) + [3.5], binCount: 4)
        #expect(bits(RangeMethod.mse.range(h, levels: 4, symmetric: true)) == bits((-1, 1)))
        // With 65536 levels the noise is negligible and clipping the outlier costs more: t = max.
        #expect(bits(RangeMethod.mse.range(h, levels: 65536, symmetric: true)) == bits((-3.5, 3.5)))
    }

    /// Bins [100, 0, 0, 1] with Q = 2 quantized bins: at i = 4 the candidate distribution equals the reference
    /// (groups {0,1}, {2,3} keep their non-zero bins), so KL = 0 and the threshold is the whole range, clamped to
    /// the max.
    @Test func entropyHandComputed() {
        let h = histogram([Float](repeating: 0.5, count: 100) + [3.5], binCount: 4)
        #expect(bits(RangeMethod.entropy.range(h, levels: 4, symmetric: true)) == bits((-3.5, 3.5)))
        // Fewer bins than quantized bins: nothing to search, t = max.
        #expect(bits(RangeMethod.entropy.range(h, levels: 256, symmetric: true)) == bits((-3.5, 3.5)))
        #expect(bits(RangeMethod.entropy.range(h, levels: 4, symmetric: false)) == bits((0, 3.5)))
    }

    /// 100 values in bin 0, 10 in bin 1, one outlier in bin 3 (w = 1), Q = 2: KL(i = 2) ≈ 0.00015 (P = [100, 11],
    /// C = [100, 10]), KL(i = 3) ≈ 0.017 (C = [100, 5, 5]), KL(i = 4) ≈ 0.17 (C = [55, 55, 0, 1]) → t = 2.
    @Test func entropyClipsHandComputed() {
        let h = histogram([Float](repeating: 0.5, count: 100) + [Float](repeating: 1.5, count: 10) + [3.5], binCount: 4)
        #expect(bits(RangeMethod.entropy.range(h, levels: 4, symmetric: true)) == bits((-2, 2)))
        #expect(bits(RangeMethod.entropy.range(h, levels: 4, symmetric: false)) == bits((0, 2)))
    }

    /// percentile(100) is minmax exactly, symmetric and not, for every data family and bin count.
    @Test(arguments: Distribution.allCases, [4, 64, 2048])
    func percentile100IsMinmax(distribution: Distribution, binCount: Int) {
        let h = histogram(distribution.samples(5000, seed: UInt64(binCount)), binCount: binCount)
        for symmetric in [true, false] {
            let p = RangeMethod.percentile(100).range(h, levels: 256, symmetric: symmetric)
            let m = RangeMethod.minmax.range(h, levels: 256, symmetric: symmetric)
            #expect(bits(p) == bits(m), "\(distribution) \(binCount) symmetric \(symmetric)")
        }
        let lower = RangeMethod.percentile(99).range(h, levels: 256, symmetric: true)
        #expect(lower.hi <= h.maxMagnitude && lower.hi > 0)
    }

    /// Every method: 0 inside the range, within the observed extremes, symmetric results symmetric.
    @Test(arguments: Distribution.allCases, [RangeMethod.minmax, .percentile(99.9), .entropy, .mse])
    func rangesAreWithinData(distribution: Distribution, method: RangeMethod) {
        let h = histogram(distribution.samples(20_000, seed: 3), binCount: 512)
        let s = method.range(h, levels: 256, symmetric: true)
        #expect(s.lo == -s.hi && s.hi > 0 && s.hi <= h.maxMagnitude, "\(distribution) \(method) \(s)")
        let a = method.range(h, levels: 256, symmetric: false)
        #expect(a.lo <= 0 && a.hi >= 0 && a.lo >= Swift.min(h.min!, 0) && a.hi <= Swift.max(h.max!, 0), "\(a)")
        #expect(a.hi > 0)
        if distribution == .relu { #expect(a.lo == 0) }
    }

    /// Gaussian data: entropy and mse thresholds are below the max but keep a sensible part of it.
    @Test(arguments: [UInt64(1), 2])
    func gaussianThresholds(seed: UInt64) {
        let h = histogram(Distribution.gaussian.samples(100_000, seed: seed))
        let m = h.maxMagnitude
        for method in [RangeMethod.entropy, .mse] {
            let t = method.range(h, levels: 256, symmetric: true).hi
            #expect(t <= m && t >= 0.4 * m, "\(method): \(t) of max \(m)")
        }
        let mse = RangeMethod.mse.range(h, levels: 256, symmetric: true).hi
        #expect(mse < 0.98 * m, "mse \(mse) of max \(m)")
    }

    /// MSE on uniform data keeps (nearly) the whole range; on Laplacian data it clips noticeably, more so with
    /// fewer levels.
    @Test(arguments: [UInt64(1), 2])
    func mseUniformVersusLaplacian(seed: UInt64) {
        let u = histogram(Distribution.uniform.samples(100_000, seed: seed))
        let tu = RangeMethod.mse.range(u, levels: 256, symmetric: true).hi
        #expect(tu >= 0.98 * u.maxMagnitude && tu <= u.maxMagnitude, "uniform \(tu) of \(u.maxMagnitude)")
        let l = histogram(Distribution.laplacian.samples(100_000, seed: seed))
        let t8 = RangeMethod.mse.range(l, levels: 256, symmetric: true).hi
        let t4 = RangeMethod.mse.range(l, levels: 16, symmetric: true).hi
        #expect(t8 < 0.95 * l.maxMagnitude, "laplacian 8-bit \(t8) of \(l.maxMagnitude)")
        #expect(t4 < 0.7 * l.maxMagnitude && t4 < t8, "laplacian 4-bit \(t4) of \(l.maxMagnitude)")
        let asymmetric = RangeMethod.mse.range(l, levels: 16, symmetric: false)
        #expect(asymmetric.hi < 0.7 * l.max! && asymmetric.lo > 0.7 * l.min!, "\(asymmetric)")
    }

    /// Same input → same bits, including for a histogram assembled by merging.
    @Test(arguments: [RangeMethod.minmax, .percentile(99.99), .entropy, .mse])
    func deterministic(method: RangeMethod) {
        let x = Distribution.laplacian.samples(30_000, seed: 7)
        let h = histogram(x, binCount: 512)
        var merged = histogram(Array(x[15_000...]), binCount: 512)
        merged.merge(histogram(Array(x[..<15_000]), binCount: 512))
        for symmetric in [true, false] {
            let r = bits(method.range(h, levels: 256, symmetric: symmetric))
            #expect(r == bits(method.range(h, levels: 256, symmetric: symmetric)))
            #expect(r == bits(method.range(merged, levels: 256, symmetric: symmetric)))
        }
    }

    /// Percentile thresholds do not decrease with p.
    @Test func percentileIsMonotone() {
        let h = histogram(Distribution.gaussian.samples(10_000, seed: 4), binCount: 256)
        let ps = [50.0, 90, 99, 99.9, 99.99, 100]
        let ts = ps.map { RangeMethod.percentile($0).range(h, levels: 256, symmetric: true).hi }
        #expect(ts == ts.sorted() && ts.first! < ts.last!, "\(ts)")
    }
}
