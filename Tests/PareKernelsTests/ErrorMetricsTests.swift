import struct PareBasics.SplitMix64
import Foundation
import Testing
@testable import PareKernels

struct ErrorMetricsTests {
    static func compare(_ o: [Float], _ r: [Float], threads: Int = 1) -> ErrorStats {
        o.withUnsafeBufferPointer { ob in r.withUnsafeBufferPointer { ErrorMetrics.compare(original: ob, reconstructed: $0, threads: threads) } }
    }

    @Test func handComputedExample() {
        let s = Self.compare([1, 1, 1, 1], [1, 1, 1, 0])
        #expect(s.count == 4 && s.maxAbs == 1 && s.rmse == 0.5 && s.signalRMS == 1)
        #expect(abs(s.sqnrDB - 6.020_599_913_279_624) < 1e-12)   // 10 · log10(4 / 1)
    }

    @Test func exactAndDegenerateCases() {
        let x: [Float] = [1, -2, 3.5]
        #expect(Self.compare(x, x) == ErrorStats(count: 3, maxAbs: 0, rmse: 0, sqnrDB: .infinity,
                                                 signalRMS: (17.25 / 3.0).squareRoot()))
        #expect(Self.compare([], []) == ErrorStats(count: 0, maxAbs: 0, rmse: 0, sqnrDB: .infinity, signalRMS: 0))
        #expect(Self.compare([0, 0], [0, 1]).sqnrDB == -.infinity)
        #expect(Self.compare([.nan, 1], [0, 1]).rmse.isNaN)
    }

    /// Matches a straightforward Double computation (up to summation order) for many sizes around the chunk length.
    @Test(arguments: [1, 3, 4095, 4096, 4097, 20_000])
    func agreesWithNaiveSums(count: Int) {
        let o = TestData.uniform.matrix(rows: 1, cols: count, seed: 1)
        let r = o.enumerated().map { i, v in v + Float(i % 7) * 0.001 - 0.003 }
        var e2 = 0.0, s2 = 0.0, m = 0.0
        for i in 0..<count {
            let d = Double(o[i]) - Double(r[i])
            e2 += d * d; s2 += Double(o[i]) * Double(o[i]); m = max(m, abs(d))
        }
        let s = Self.compare(o, r, threads: 2)
        #expect(s.count == count && s.maxAbs == m)
        #expect(abs(s.rmse - (e2 / Double(count)).squareRoot()) <= 1e-12 * s.rmse)
        #expect(abs(s.signalRMS - (s2 / Double(count)).squareRoot()) <= 1e-12 * s.signalRMS)
        #expect(abs(s.sqnrDB - 10 * Foundation.log10(s2 / e2)) <= 1e-10)
    }

    @Test func threadCountDoesNotChangeResult() {
        let o = TestData.uniform.matrix(rows: 1, cols: 200_001, seed: 3)
        let r = TestData.uniform.matrix(rows: 1, cols: 200_001, seed: 4)
        let one = Self.compare(o, r, threads: 1)
        for threads in [2, 3, 7] {
            let s = Self.compare(o, r, threads: threads)
            #expect(s.rmse.bitPattern == one.rmse.bitPattern && s.sqnrDB.bitPattern == one.sqnrDB.bitPattern
                    && s.signalRMS.bitPattern == one.signalRMS.bitPattern && s.maxAbs == one.maxAbs)
        }
    }

    /// The fused path is bit-identical to comparing against the materialized dequantized copy.
    @Test(arguments: WeightType.allCases)
    func quantizationErrorEqualsCompareOfDequantized(type: WeightType) {
        for (rows, cols) in [(1, 1), (3, 5), (7, 33), (5, 1000), (2, 9000)] {
            for granularity in granularities(cols: cols) {
                for symmetric in [true, false] {
                    let scheme = QuantScheme(type: type, granularity: granularity, symmetric: symmetric)
                    let x = TestData.uniform.matrix(rows: rows, cols: cols, seed: 11)
                    let q = x.withUnsafeBufferPointer { Quantizer.fast($0, rows: rows, cols: cols, scheme: scheme, threads: 1) }
                    let expected = Self.compare(x, Quantizer.dequantize(q, scheme: scheme))
                    for threads in [1, 2] {
                        let got = x.withUnsafeBufferPointer {
                            ErrorMetrics.quantizationError(original: $0, quantized: q, scheme: scheme, threads: threads)
                        }
                        #expect(got == expected, "\(scheme) \(rows)×\(cols) threads \(threads)")
                    }
                }
            }
        }
    }

    @Test func log10IsAccurate() {
        var rng = SplitMix64(seed: 8)
        for _ in 0..<20_000 {
            let x = Double(sign: .plus, exponent: rng.int(-1074...1023), significand: 1 + Double(rng.next() >> 11) * 0x1p-53)
            let expected = Foundation.log10(x)
            #expect(abs(DeterministicMath.log10(x) - expected) <= 4 * max(expected.ulp, 1e-16), "\(x)")
        }
        #expect(DeterministicMath.log10(1) == 0)
        #expect(DeterministicMath.log10(0) == -.infinity && DeterministicMath.log10(.infinity) == .infinity)
        #expect(DeterministicMath.log10(-1).isNaN && DeterministicMath.log10(.nan).isNaN)
    }

    @Test func statsRoundTripThroughJSONWithInfinity() throws {
        let stats = ErrorStats(count: 2, maxAbs: 0, rmse: 0, sqnrDB: .infinity, signalRMS: 1)
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        #expect(try decoder.decode(ErrorStats.self, from: encoder.encode(stats)) == stats)
    }
}

/// The summation order is part of the output (metrics land in manifests): recompute it from the documentation.
struct ErrorMetricsOrderTests {
    @Test(arguments: [5, 4096, 10_003])
    func summationOrderIsTheDocumentedOne(count: Int) {
        let o = TestData.wideExponent.matrix(rows: 1, cols: count, seed: 21).map { $0 * 0x1p-100 }
        let r = TestData.uniform.matrix(rows: 1, cols: count, seed: 22)
        var error2 = 0.0, signal2 = 0.0
        for start in stride(from: 0, to: count, by: ErrorMetrics.chunkLength) {
            var e = [0.0, 0.0, 0.0, 0.0], s = [0.0, 0.0, 0.0, 0.0]
            for i in start..<min(count, start + ErrorMetrics.chunkLength) {
                let d = Double(o[i]) - Double(r[i])
                e[i % 4] += d * d
                s[i % 4] += Double(o[i]) * Double(o[i])
            }
            error2 += (e[0] + e[1]) + (e[2] + e[3])
            signal2 += (s[0] + s[1]) + (s[2] + s[3])
        }
        let stats = ErrorMetricsTests.compare(o, r, threads: 2)
        #expect(stats.rmse.bitPattern == (error2 / Double(count)).squareRoot().bitPattern)
        #expect(stats.signalRMS.bitPattern == (signal2 / Double(count)).squareRoot().bitPattern)
    }
}
