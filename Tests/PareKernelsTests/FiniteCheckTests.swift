import struct PareBasics.SplitMix64
import Testing
@testable import PareKernels

struct FiniteCheckTests {
    static let nonFinite: [Float] = [.nan, -.nan, .infinity, -.infinity, Float(bitPattern: 0x7F80_0001),
                                     Float(bitPattern: 0xFFBF_FFFF)]

    @Test(arguments: [0, 1, 255, 256, 257, 1000, 5000])
    func findsTheFirstNonFiniteElement(count: Int) {
        var rng = SplitMix64(seed: UInt64(count))
        let finite = TestData.wideExponent.matrix(rows: 1, cols: count, seed: UInt64(count))
            + [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, 0, -0.0]
        #expect(finite.withUnsafeBufferPointer { FiniteCheck.firstNonFinite($0) } == nil)
        for bad in Self.nonFinite {
            for _ in 0..<5 {
                var x = finite
                let first = rng.int(0...(x.count - 1))
                x[first] = bad
                if first + 1 < x.count { x[rng.int((first + 1)...(x.count - 1))] = Self.nonFinite[rng.int(0...5)] }
                #expect(x.withUnsafeBufferPointer { FiniteCheck.firstNonFinite($0) } == first, "\(bad) at \(first)")
            }
        }
    }
}
