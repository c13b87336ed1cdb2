import struct PareBasics.SplitMix64
import Testing
@testable import PareKernels

struct HalfPrecisionTests {
    /// Random Float bit patterns over the whole 32-bit space (every class: NaN, Inf, subnormal, normal).
    static func randomBits(count: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: rng.next())) }
    }

    /// Every non-negative finite fp16 value, the exact midpoints to its successor, and one Float ulp either side.
    static let float16Boundaries: [Float] = {
        var x: [Float] = []
        for h in UInt16(0)..<0x7C00 {
            let v = float16Value(h), mid = v + (successor(h) - v) / 2
            x += [v, -v, mid, -mid, mid.nextDown, mid.nextUp, -mid.nextUp]
        }
        return x
    }()

    /// fp16 bits → value, by the definition (independent of the code under test).
    static func float16Value(_ h: UInt16) -> Float {
        let e = Int(h >> 10) & 0x1F, m = Float(h & 0x3FF)
        let magnitude: Float = e == 0 ? m * 0x1p-24 : e == 31 ? .infinity : (1 + m / 1024) * Float(sign: .plus, exponent: e - 15, significand: 1)
        return h & 0x8000 != 0 ? -magnitude : magnitude
    }

    /// The next fp16 magnitude after h, continuing past the largest finite one (65504 → 65536) instead of Inf.
    static func successor(_ h: UInt16) -> Float {
        h + 1 == 0x7C00 ? 65536 : float16Value(h + 1)
    }

    @Test(arguments: [1, 2, 3])
    func fastFloat16MatchesReference(threads: Int) {
        for x in [Self.randomBits(count: 300_000, seed: UInt64(threads)), Self.float16Boundaries] {
            x.withUnsafeBufferPointer { b in
                #expect(HalfPrecision.toFloat16(b, threads: threads) == HalfPrecision.toFloat16Reference(b))
            }
        }
    }

    @Test(arguments: [1, 2, 3])
    func fastBFloat16MatchesReference(threads: Int) {
        var boundaries: [Float] = []
        for b in stride(from: UInt32(0), to: 0x1_0000, by: 7) {
            let mid = b << 16 | 0x8000
            boundaries += [mid, mid - 1, mid + 1, b << 16].map { Float(bitPattern: $0) }
        }
        for x in [Self.randomBits(count: 300_000, seed: 10 + UInt64(threads)), boundaries] {
            x.withUnsafeBufferPointer { b in
                #expect(HalfPrecision.toBFloat16(b, threads: threads) == HalfPrecision.toBFloat16Reference(b))
            }
        }
    }

    /// Round to nearest, ties to even, checked against values computed from the fp16 definition.
    @Test func float16RoundsToNearestEven() {
        for h in UInt16(0)..<0x7C00 {
            let v = Self.float16Value(h), mid = v + (Self.successor(h) - v) / 2
            let even = h % 2 == 0 ? h : h + 1
            let got = [v, mid, mid.nextDown, mid.nextUp, -mid].withUnsafeBufferPointer { HalfPrecision.toFloat16Reference($0) }
            #expect(got == [h, even, h, h + 1, even | 0x8000], "fp16 \(h)")
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var x: Float
        var half: UInt16
        var bfloat: UInt16
        var testDescription: String { "\(x)" }
    }

    static let cases: [Case] = [
        Case(x: 0, half: 0x0000, bfloat: 0x0000),
        Case(x: -0.0, half: 0x8000, bfloat: 0x8000),
        Case(x: 1, half: 0x3C00, bfloat: 0x3F80),
        Case(x: -2, half: 0xC000, bfloat: 0xC000),
        Case(x: 65504, half: 0x7BFF, bfloat: 0x4780),         // bf16: 65504 rounds up to 65536
        Case(x: 65519.99, half: 0x7BFF, bfloat: 0x4780),
        Case(x: 65520, half: 0x7C00, bfloat: 0x4780),         // fp16 overflow → +Inf
        Case(x: -1e6, half: 0xFC00, bfloat: 0xC974),
        Case(x: .greatestFiniteMagnitude, half: 0x7C00, bfloat: 0x7F80),
        Case(x: .infinity, half: 0x7C00, bfloat: 0x7F80),
        Case(x: -.infinity, half: 0xFC00, bfloat: 0xFF80),
        Case(x: 0x1p-24, half: 0x0001, bfloat: 0x3380),       // smallest fp16 subnormal
        Case(x: 0x1p-25, half: 0x0000, bfloat: 0x3300),       // tie between 0 and 2^-24 → even (0)
        Case(x: Float(0x1p-25).nextUp, half: 0x0001, bfloat: 0x3300),
        Case(x: 3 * 0x1p-25, half: 0x0002, bfloat: 0x33C0),   // 1.5 steps → 2
        Case(x: 0x1p-14, half: 0x0400, bfloat: 0x3880),       // smallest fp16 normal
        Case(x: Float(0x1p-14).nextDown, half: 0x0400, bfloat: 0x3880), // rounds up across the subnormal boundary
        Case(x: .leastNonzeroMagnitude, half: 0x0000, bfloat: 0x0000),
        Case(x: Float(bitPattern: 0x0001_8000), half: 0x0000, bfloat: 0x0002), // bf16 subnormal tie → even
        Case(x: .nan, half: 0x7E00, bfloat: 0x7FC0),
        Case(x: Float(bitPattern: 0xFF80_2001), half: 0xFE01, bfloat: 0xFFC0),  // signaling NaN → quiet, sign kept
        Case(x: Float(bitPattern: 0x7F80_0001), half: 0x7E00, bfloat: 0x7FC0),  // payload only in dropped bits
    ]

    @Test(arguments: cases)
    func knownConversions(c: Case) {
        [c.x].withUnsafeBufferPointer { b in
            #expect(HalfPrecision.toFloat16Reference(b) == [c.half])
            #expect(HalfPrecision.toFloat16(b, threads: 1) == [c.half])
            #expect(HalfPrecision.toBFloat16Reference(b) == [c.bfloat])
            #expect(HalfPrecision.toBFloat16(b, threads: 1) == [c.bfloat])
        }
    }

    /// All 65,536 fp16 and bfloat16 values: decoding is exact and encoding the result gives the value back
    /// (a NaN comes back quiet).
    @Test func exhaustiveRoundTrips() {
        let all = (0...UInt16.max).map { $0 }
        let halves = all.withUnsafeBufferPointer { HalfPrecision.fromFloat16($0) }
        let bfloats = all.withUnsafeBufferPointer { HalfPrecision.fromBFloat16($0) }
        for h in all {
            let v = halves[Int(h)]
            if h & 0x7C00 == 0x7C00 && h & 0x3FF != 0 {
                #expect(v.isNaN && v.sign == (h & 0x8000 != 0 ? .minus : .plus))
            } else {
                #expect(v == Self.float16Value(h) && v.sign == Self.float16Value(h).sign, "fp16 \(h)")
            }
            #expect(bfloats[Int(h)].bitPattern == UInt32(h) << 16)
        }
        let isNaN16 = { (h: UInt16) in h & 0x7C00 == 0x7C00 && h & 0x3FF != 0 }
        let isNaNb = { (h: UInt16) in h & 0x7F80 == 0x7F80 && h & 0x7F != 0 }
        let back16 = halves.withUnsafeBufferPointer { HalfPrecision.toFloat16($0, threads: 2) }
        let backb = bfloats.withUnsafeBufferPointer { HalfPrecision.toBFloat16($0, threads: 2) }
        for h in all {
            #expect(back16[Int(h)] == (isNaN16(h) ? h | 0x0200 : h), "fp16 \(h)")
            #expect(backb[Int(h)] == (isNaNb(h) ? h | 0x0040 : h), "bf16 \(h)")
        }
    }

    #if !(os(macOS) && arch(x86_64))
    /// Cross-check against the compiler runtime's conversion (Swift's Float16), for non-NaN values.
    @Test func agreesWithSwiftFloat16() {
        let x = Self.randomBits(count: 200_000, seed: 77).filter { !$0.isNaN } + Self.float16Boundaries
        let ours = x.withUnsafeBufferPointer { HalfPrecision.toFloat16($0, threads: 2) }
        for (i, v) in x.enumerated() {
            #expect(ours[i] == Float16(v).bitPattern, "\(v)")
        }
        let all = (0...UInt16.max).filter { $0 & 0x7C00 != 0x7C00 || $0 & 0x3FF == 0 }
        let decoded = all.withUnsafeBufferPointer { HalfPrecision.fromFloat16($0) }
        for (i, h) in all.enumerated() {
            #expect(decoded[i].bitPattern == Float(Float16(bitPattern: h)).bitPattern)
        }
    }
    #endif
}
