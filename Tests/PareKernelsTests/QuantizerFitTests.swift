import Foundation
import struct PareBasics.SplitMix64
import Testing
@testable import PareKernels

/// `fit: mse`: the fast search matches the scalar reference bit for bit, recovers exactly representable blocks,
/// falls back to minmax where documented, and measurably beats minmax on Gaussian weights.
struct QuantizerFitTests {
    static let shapes = [(1, 2), (1, 7), (3, 5), (4, 64), (7, 33), (5, 96), (2, 1000), (0, 4)]

    /// Per-channel and group sizes dividing `cols` (fit: mse has no per-tensor form).
    static func fitGranularities(cols: Int) -> [QuantGranularity] {
        [.perChannel] + Set([2, 3, 32, 128]).sorted().filter { cols % $0 == 0 }.map { .perGroup($0) }
    }

    @Test(arguments: WeightType.allCases, TestData.allCases)
    func fastMatchesReference(type: WeightType, data: TestData) {
        var seed: UInt64 = 11
        for (rows, cols) in Self.shapes {
            for granularity in Self.fitGranularities(cols: cols) {
                for symmetric in [true, false] {
                    let scheme = QuantScheme(type: type, granularity: granularity, symmetric: symmetric, fit: .mse)
                    let x = input(data, rows: rows, cols: cols, scheme: scheme, seed: seed)
                    seed += 1
                    expectFastMatchesReference(x, rows: rows, cols: cols, scheme: scheme, "\(scheme) \(rows)×\(cols) \(data)")
                }
            }
        }
    }

    /// A block that lies exactly on a 16-level grid not containing 0 (0.25 … 4) is reproduced exactly: scale 0.25
    /// and q − zp = 1 … 16, so zp = qmin − 1. Minmax, whose range must include 0, cannot.
    @Test(arguments: [WeightType.uint4, .int4])
    func exactGridIsRecovered(type: WeightType) {
        let x = (0..<16).map { Float(1 + $0) * 0.25 }
        let scheme = QuantScheme(type: type, granularity: .perGroup(16), symmetric: false, fit: .mse)
        let q = withBuffer(x) { Quantizer.fast($0, rows: 1, cols: 16, scheme: scheme, threads: 1) }
        #expect(q.scales == [0.25])
        #expect(q.zeroPoints == [Float(type.qmin) - 1])
        #expect(Quantizer.dequantize(q, scheme: scheme) == x)
        let minmax = QuantScheme(type: type, granularity: .perGroup(16), symmetric: false)
        let m = withBuffer(x) { Quantizer.fast($0, rows: 1, cols: 16, scheme: minmax, threads: 1) }
        #expect(Quantizer.dequantize(m, scheme: minmax) != x)
    }

    /// Blocks with a non-finite value, all zeros, or (asymmetric) one repeated value use the minmax rules.
    @Test(arguments: [true, false])
    func fallsBackToMinmax(symmetric: Bool) {
        let blocks: [[Float]] = [[1, .nan, -2, 3], [0, 0, -0.0, 0], [2, .infinity, 1, 0], symmetric ? [0, 0, 0, 0] : [1.5, 1.5, 1.5, 1.5]]
        let x = blocks.flatMap { $0 }
        let mse = QuantScheme(type: .int8, granularity: .perGroup(4), symmetric: symmetric, fit: .mse)
        let minmax = QuantScheme(type: .int8, granularity: .perGroup(4), symmetric: symmetric)
        withBuffer(x) { buffer in
            let expected = Quantizer.reference(buffer, rows: 1, cols: x.count, scheme: minmax)
            expectIdentical(Quantizer.reference(buffer, rows: 1, cols: x.count, scheme: mse), expected, "reference")
            expectIdentical(Quantizer.fast(buffer, rows: 1, cols: x.count, scheme: mse, threads: 2), expected, "fast")
        }
    }

    /// Codes stay in range, symmetric zero points stay the type's, and dequantization follows
    /// x̂ = (Float(q) − zp) · scale with the fractional zero points.
    @Test(arguments: WeightType.allCases, [true, false])
    func codesAndDequantization(type: WeightType, symmetric: Bool) {
        let rows = 8, cols = 64
        let scheme = QuantScheme(type: type, granularity: .perGroup(32), symmetric: symmetric, fit: .mse)
        let x = gaussian(rows * cols, seed: 5)
        let q = withBuffer(x) { Quantizer.fast($0, rows: rows, cols: cols, scheme: scheme, threads: 2) }
        let codes = decodeCodes(q, type: type)
        let xhat = Quantizer.dequantize(q, scheme: scheme)
        for i in x.indices {
            let scale = q.scales[i / 32], zp = q.zeroPoints[i / 32]
            #expect(scale > 0 && zp.isFinite)
            if symmetric {
                #expect(zp == Float(type.symmetricZeroPoint))
                #expect(abs(codes[i] - type.symmetricZeroPoint) <= type.halfRange)
            } else {
                #expect(codes[i] >= type.qmin && codes[i] <= type.qmax)
            }
            #expect(xhat[i].bitPattern == ((Float(codes[i]) - zp) * scale).bitPattern)
        }
        if !symmetric { #expect(q.zeroPoints.contains { $0 != $0.rounded() }, "asymmetric mse gives fractional zero points") }
    }

    /// On N(0, 1) weights, 4-bit per-group 32: mse gains at least 0.3 dB (symmetric) and 0.8 dB (asymmetric) of
    /// weight SQNR over minmax (measured: see the expectation messages), for several seeds.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func beatsMinmaxOnGaussianWeights(seed: UInt64) {
        let rows = 64, cols = 256
        let x = gaussian(rows * cols, seed: seed)
        for (symmetric, gain) in [(true, 0.3), (false, 0.8)] {
            func sqnr(_ fit: QuantFit) -> Double {
                let scheme = QuantScheme(type: .int4, granularity: .perGroup(32), symmetric: symmetric, fit: fit)
                let q = withBuffer(x) { Quantizer.fast($0, rows: rows, cols: cols, scheme: scheme, threads: 2) }
                let xhat = Quantizer.dequantize(q, scheme: scheme)
                var signal = 0.0, noise = 0.0
                for i in x.indices {
                    signal += Double(x[i]) * Double(x[i])
                    noise += (Double(x[i]) - Double(xhat[i])) * (Double(x[i]) - Double(xhat[i]))
                }
                return 10 * log10(signal / noise)
            }
            let base = sqnr(.minmax), fitted = sqnr(.mse)
            #expect(fitted >= base + gain, "symmetric \(symmetric): minmax \(base) dB, mse \(fitted) dB")
        }
    }

    func gaussian(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in
            var s: Float = 0
            for _ in 0..<12 { s += rng.float(0, 1) }
            return s - 6
        }
    }
}
