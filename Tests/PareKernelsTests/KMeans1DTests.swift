import struct PareBasics.SplitMix64
import Testing
@testable import PareKernels

struct KMeans1DTests {
    static func values(_ n: Int, seed: UInt64, duplicates: Bool = false) -> [Float] {
        var rng = SplitMix64(seed: seed)
        // Roughly normal (sum of 4 uniforms), with some exact duplicates when asked.
        return (0..<n).map { _ in
            let v = (0..<4).reduce(Float(0)) { a, _ in a + rng.float(-1, 1) }
            return duplicates && rng.bool(0.3) ? (v * 4).rounded() / 4 : v
        }
    }

    @Test(arguments: [UInt64(0), 1, 7, 12345], Array(1...8))
    func fastMatchesReference(seed: UInt64, bits: Int) {
        let k = 1 << bits
        for (n, groupSize, dup) in [(3000, 3000, false), (3000, 700, true), (4096, 512, false)] {
            let x = Self.values(n, seed: seed &+ UInt64(n), duplicates: dup)
            guard x.withUnsafeBufferPointer({ KMeans1D.fewestDistinct($0, groupSize: groupSize).distinct }) >= k else { continue }
            let r = x.withUnsafeBufferPointer { KMeans1D.reference($0, groupSize: groupSize, k: k, iterations: 25, seed: seed) }
            for threads in [1, 3] {
                let f = x.withUnsafeBufferPointer { KMeans1D.fast($0, groupSize: groupSize, k: k, iterations: 25, seed: seed, threads: threads) }
                #expect(f.indices == r.indices, "n \(n) group \(groupSize) threads \(threads)")
                #expect(f.table.map(\.bitPattern) == r.table.map(\.bitPattern), "n \(n) group \(groupSize) threads \(threads)")
            }
            // Tables sorted, every index in range, and each value's index is its nearest entry (midpoint rule).
            let groups = KMeans1D.groupCount(count: n, groupSize: groupSize)
            #expect(r.table.count == groups * k)
            for g in 0..<groups {
                let t = Array(r.table[(g * k)..<((g + 1) * k)])
                #expect(t == t.sorted())
                for i in (g * groupSize)..<min(n, (g + 1) * groupSize) {
                    let j = Int(r.indices[i])
                    let best = t.map { abs(Double($0) - Double(x[i])) }.min()!
                    #expect(abs(Double(t[j]) - Double(x[i])) <= best + 1e-6)
                }
            }
        }
    }

    @Test func exactClustersAreFound() {
        // Four well separated clusters: 2-bit k-means recovers the exact means.
        let x: [Float] = [-3, -3, -3, -1, -1, 1, 1, 1, 1, 5]
        let r = x.withUnsafeBufferPointer { KMeans1D.fast($0, groupSize: x.count, k: 4, iterations: 10, seed: 3, threads: 1) }
        #expect(r.table == [-3, -1, 1, 5])
        #expect(r.indices == [0, 0, 0, 1, 1, 2, 2, 2, 2, 3])
    }

    @Test func seedChangesTheStartButStaysDeterministic() {
        let x = Self.values(5000, seed: 9)
        let a = x.withUnsafeBufferPointer { KMeans1D.fast($0, groupSize: 5000, k: 16, iterations: 0, seed: 1, threads: 1) }
        let b = x.withUnsafeBufferPointer { KMeans1D.fast($0, groupSize: 5000, k: 16, iterations: 0, seed: 1, threads: 2) }
        let c = x.withUnsafeBufferPointer { KMeans1D.fast($0, groupSize: 5000, k: 16, iterations: 0, seed: 2, threads: 1) }
        #expect(a == b)
        #expect(a.table != c.table)
    }

    @Test func fewestDistinctCountsPerGroup() {
        let x: [Float] = [1, 1, 2, 3, 0, -0.0, 0, 0]
        let r = x.withUnsafeBufferPointer { KMeans1D.fewestDistinct($0, groupSize: 4) }
        #expect(r.group == 1 && r.distinct == 1)
    }

    @Test(arguments: Array(1...8))
    func packRoundTrips(bits: Int) {
        var rng = SplitMix64(seed: UInt64(bits))
        for n in [1, 7, 8, 9, 1001] {
            let idx = (0..<n).map { _ in UInt8(rng.next() % UInt64(1 << bits)) }
            let p = KMeans1D.pack(idx, bits: bits)
            #expect(p.count == (n * bits + 7) / 8)
            #expect(KMeans1D.unpack(p, bits: bits, count: n) == idx)
        }
        if bits == 3 { #expect(KMeans1D.pack([1, 2, 3], bits: 3) == [0b1101_0001, 0]) }
    }
}
