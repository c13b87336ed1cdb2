import struct PareBasics.SplitMix64
import Testing
@testable import PareKernels

/// Runs `body` with a buffer pointer over `x`.
func withBuffer<R>(_ x: [Float], _ body: (UnsafeBufferPointer<Float>) -> R) -> R {
    x.withUnsafeBufferPointer(body)
}

/// Asserts two quantized matrices are identical bit for bit (scales compared by bit pattern).
func expectIdentical(_ a: QuantizedMatrix, _ b: QuantizedMatrix, _ context: String,
                     sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.rows == b.rows && a.cols == b.cols, "\(context): shape", sourceLocation: sourceLocation)
    #expect(a.data == b.data, "\(context): data", sourceLocation: sourceLocation)
    #expect(a.scales.map(\.bitPattern) == b.scales.map(\.bitPattern), "\(context): scales", sourceLocation: sourceLocation)
    #expect(a.zeroPoints == b.zeroPoints, "\(context): zero points", sourceLocation: sourceLocation)
}

/// The reference result of `x` under `scheme`, and the fast one on 1, 2 and 3 threads identical to it.
func expectFastMatchesReference(_ x: [Float], rows: Int, cols: Int, scheme: QuantScheme, _ context: String,
                                sourceLocation: SourceLocation = #_sourceLocation) {
    withBuffer(x) { buffer in
        let expected = Quantizer.reference(buffer, rows: rows, cols: cols, scheme: scheme)
        #expect(expected.scales.count == scheme.blockCount(rows: rows, cols: cols), sourceLocation: sourceLocation)
        for threads in [1, 2, 3] {
            let got = Quantizer.fast(buffer, rows: rows, cols: cols, scheme: scheme, threads: threads)
            expectIdentical(got, expected, "\(context) threads \(threads)", sourceLocation: sourceLocation)
        }
    }
}

/// Granularities to try for a column count: per-tensor, per-channel and every listed group size dividing it.
func granularities(cols: Int) -> [QuantGranularity] {
    var result: [QuantGranularity] = [.perTensor, .perChannel]
    for g in Set([1, 3, 32, 128, cols]).sorted() where g > 0 && cols % g == 0 { result.append(.perGroup(g)) }
    return result
}

/// Test input for a scheme: `.ties` data spans exactly the range that makes every block's scale 1.
func input(_ data: TestData, rows: Int, cols: Int, scheme: QuantScheme, seed: UInt64) -> [Float] {
    let t = scheme.type
    let range = scheme.symmetric ? Float(t.halfRange) : Float(t.qmax - t.qmin) / 2
    return data.matrix(rows: rows, cols: cols, seed: seed, blockLength: scheme.blockLength(rows: rows, cols: cols),
                       tieRange: range)
}

struct QuantizerTests {
    static let shapes = [(1, 1), (1, 7), (3, 5), (4, 64), (7, 33), (16, 256), (5, 96), (2, 1000), (0, 4), (3, 0)]

    @Test(arguments: [(WeightType.int8, 8, -128, 127), (.uint8, 8, 0, 255), (.int4, 4, -8, 7), (.uint4, 4, 0, 15)])
    func weightTypeRanges(type: WeightType, bits: Int, qmin: Int32, qmax: Int32) {
        #expect(type.bits == bits)
        #expect(type.qmin == qmin && type.qmax == qmax)
        #expect(type.isSigned == (qmin < 0))
        #expect(type.halfRange == (bits == 8 ? 127 : 7))
        #expect(type.symmetricZeroPoint == (type.isSigned ? 0 : (bits == 8 ? 128 : 8)))
    }

    @Test(arguments: WeightType.allCases, TestData.allCases)
    func fastMatchesReference(type: WeightType, data: TestData) {
        var seed: UInt64 = 1
        for (rows, cols) in Self.shapes {
            for granularity in granularities(cols: cols) {
                for symmetric in [true, false] {
                    let scheme = QuantScheme(type: type, granularity: granularity, symmetric: symmetric)
                    let x = input(data, rows: rows, cols: cols, scheme: scheme, seed: seed)
                    seed += 1
                    expectFastMatchesReference(x, rows: rows, cols: cols, scheme: scheme, "\(scheme) \(rows)×\(cols) \(data)")
                }
            }
        }
    }

    /// Large enough that rows and the per-tensor reduction really split over several threads.
    @Test(arguments: WeightType.allCases)
    func threadCountDoesNotChangeResult(type: WeightType) {
        let rows = 33, cols = 4096
        let x = TestData.uniform.matrix(rows: rows, cols: cols, seed: 99)
        for granularity in [QuantGranularity.perTensor, .perChannel, .perGroup(32)] {
            for symmetric in [true, false] {
                let scheme = QuantScheme(type: type, granularity: granularity, symmetric: symmetric)
                withBuffer(x) { buffer in
                    let expected = Quantizer.reference(buffer, rows: rows, cols: cols, scheme: scheme)
                    for threads in [1, 2, 5] {
                        expectIdentical(Quantizer.fast(buffer, rows: rows, cols: cols, scheme: scheme, threads: threads),
                                        expected, "\(scheme) threads \(threads)")
                    }
                }
            }
        }
    }

    struct Example: Sendable, CustomTestStringConvertible {
        var scheme: QuantScheme
        var cols: Int
        var x: [Float]
        var data: [UInt8]
        var scales: [Float]
        var zeroPoints: [Float]
        var testDescription: String { "\(scheme.type) \(scheme.granularity) sym=\(scheme.symmetric) \(x)" }
    }

    static let examples: [Example] = [
        // scale 1: .5 ties round to even (0.5 → 0, 1.5 → 2, 2.5 → 2, −0.5 → 0).
        Example(scheme: .init(type: .int8, granularity: .perChannel, symmetric: true), cols: 8,
                x: [1, -2, 0.5, 127, -127, 1.5, 2.5, -0.5],
                data: [1, 0xFE, 0, 127, 0x81, 2, 2, 0], scales: [1], zeroPoints: [0]),
        Example(scheme: .init(type: .uint8, granularity: .perChannel, symmetric: true), cols: 8,
                x: [1, -2, 0.5, 127, -127, 1.5, 2.5, -0.5],
                data: [129, 126, 128, 255, 1, 130, 130, 128], scales: [1], zeroPoints: [128]),
        // scale = 4/255, inv = 63.75, zp = rne(−128 + 63.75) = −64.
        Example(scheme: .init(type: .int8, granularity: .perTensor, symmetric: false), cols: 3,
                x: [-1, 0, 3], data: [0x80, 0xC0, 127], scales: [Float(4.0 / 255.0)], zeroPoints: [-64]),
        // Two groups: [0, 1.5] → scale 0.1, zp 0; [−3, 0] → scale 0.2, zp 15. Nibbles low-first.
        Example(scheme: .init(type: .uint4, granularity: .perGroup(2), symmetric: false), cols: 4,
                x: [0, 1.5, -3, 0], data: [0xF0, 0xF0], scales: [0.1, 0.2], zeroPoints: [0, 15]),
        // Odd row: 3 bytes, the last high nibble is padding 0; int4 nibbles are two's complement.
        Example(scheme: .init(type: .int4, granularity: .perChannel, symmetric: true), cols: 5,
                x: [7, -7, 3.5, -3.5, 0], data: [0x97, 0xC4, 0x00], scales: [1], zeroPoints: [0]),
        // All-zero row: scale 1 and the usual zero point (qmin for asymmetric), so it dequantizes to 0.
        Example(scheme: .init(type: .int8, granularity: .perChannel, symmetric: false), cols: 2,
                x: [0, -0.0, 0, 255], data: [0x80, 0x80, 0x80, 127], scales: [1, 1], zeroPoints: [-128, -128]),
        Example(scheme: .init(type: .uint8, granularity: .perTensor, symmetric: true), cols: 3,
                x: [0, 0, 0], data: [128, 128, 128], scales: [1], zeroPoints: [128]),
        // NaN is ignored by the statistics and quantizes as 0 (q = zp).
        Example(scheme: .init(type: .int8, granularity: .perTensor, symmetric: true), cols: 3,
                x: [.nan, 127, -127], data: [0, 127, 0x81], scales: [1], zeroPoints: [0]),
    ]

    @Test(arguments: examples)
    func handComputedExamples(example: Example) {
        let rows = example.x.count / example.cols
        withBuffer(example.x) { buffer in
            let expected = QuantizedMatrix(rows: rows, cols: example.cols, data: example.data,
                                           scales: example.scales, zeroPoints: example.zeroPoints)
            expectIdentical(Quantizer.reference(buffer, rows: rows, cols: example.cols, scheme: example.scheme),
                            expected, "reference")
            expectIdentical(Quantizer.fast(buffer, rows: rows, cols: example.cols, scheme: example.scheme, threads: 2),
                            expected, "fast")
        }
    }

    /// Codes stay in range, zero points are valid, and every element is reconstructed within half a step.
    @Test(arguments: WeightType.allCases, [TestData.uniform, .ties, .zeros])
    func reconstructionWithinHalfStep(type: WeightType, data: TestData) {
        let rows = 6, cols = 96
        for granularity in granularities(cols: cols) {
            for symmetric in [true, false] {
                let scheme = QuantScheme(type: type, granularity: granularity, symmetric: symmetric)
                let x = input(data, rows: rows, cols: cols, scheme: scheme, seed: 7)
                let q = withBuffer(x) { Quantizer.fast($0, rows: rows, cols: cols, scheme: scheme, threads: 2) }
                let codes = decodeCodes(q, type: type)
                let xhat = Quantizer.dequantize(q, scheme: scheme)
                let length = scheme.blockLength(rows: rows, cols: cols)
                for i in x.indices {
                    let b = i / length
                    let scale = q.scales[b], zp = Int32(exactly: q.zeroPoints[b])!
                    #expect(scale > 0)
                    #expect(zp >= type.qmin && zp <= type.qmax)
                    let (lo, hi) = symmetric ? (zp - type.halfRange, zp + type.halfRange) : (type.qmin, type.qmax)
                    #expect(codes[i] >= lo && codes[i] <= hi, "\(scheme) element \(i)")
                    #expect(xhat[i] == Float(codes[i] - zp) * scale)
                    // .ties data may hit the clamp at +R for asymmetric types (127.5 → 127): one full step.
                    let bound = (data == .ties && !symmetric ? 1.0 : 0.5) * scale * 1.0001 + abs(x[i]) * 1e-6
                    #expect(abs(x[i] - xhat[i]) <= bound, "\(scheme) element \(i): \(x[i]) → \(xhat[i])")
                }
            }
        }
    }

    /// Dequantization of data that was not produced by the quantizer (random codes, scales, zero points).
    @Test(arguments: WeightType.allCases)
    func dequantizeFollowsFormula(type: WeightType) {
        var rng = SplitMix64(seed: 42)
        let rows = 3, cols = 9, g = 3
        let scheme = QuantScheme(type: type, granularity: .perGroup(g), symmetric: false)
        let rowBytes = QuantizedMatrix.rowBytes(cols: cols, type: type)
        var data = (0..<(rows * rowBytes)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        if type.bits == 4 { for r in 0..<rows { data[r * rowBytes + rowBytes - 1] &= 0x0F } }
        let blocks = rows * cols / g
        let scales = (0..<blocks).map { _ in rng.float(0.001, 2) }
        let zps = (0..<blocks).map { _ in Int32(rng.int(Int(type.qmin)...Int(type.qmax))) }
        let q = QuantizedMatrix(rows: rows, cols: cols, data: data, scales: scales, zeroPoints: zps.map(Float.init))
        let codes = decodeCodes(q, type: type)
        let xhat = Quantizer.dequantize(q, scheme: scheme)
        #expect(xhat.count == rows * cols)
        for i in 0..<(rows * cols) {
            #expect(xhat[i].bitPattern == (Float(codes[i] - zps[i / g]) * scales[i / g]).bitPattern)
        }
    }
}

/// Independent decoder of ``QuantizedMatrix/data`` into one Int32 code per element.
func decodeCodes(_ q: QuantizedMatrix, type: WeightType) -> [Int32] {
    var codes: [Int32] = []
    let rowBytes = QuantizedMatrix.rowBytes(cols: q.cols, type: type)
    for r in 0..<q.rows {
        for c in 0..<q.cols {
            if type.bits == 8 {
                let b = q.data[r * rowBytes + c]
                codes.append(type.isSigned ? Int32(Int8(bitPattern: b)) : Int32(b))
            } else {
                let byte = q.data[r * rowBytes + c / 2]
                let nibble = Int32(c % 2 == 0 ? byte & 15 : byte >> 4)
                codes.append(type.isSigned && nibble >= 8 ? nibble - 16 : nibble)
            }
        }
    }
    return codes
}
