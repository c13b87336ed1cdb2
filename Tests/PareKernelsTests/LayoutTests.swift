import struct PareBasics.SplitMix64
import Testing
@testable import PareKernels

@Suite struct LayoutTests {
    @Test(arguments: [([4, 3], 1), ([2, 3, 4], 1), ([2, 3, 4], 2), ([5], 0), ([3, 1, 2, 2], 3), ([6, 7], 0)])
    func moveAxisRoundTrips(dims: [Int], axis: Int) {
        var rng = SplitMix64(seed: UInt64(dims.reduce(7, *) + axis))
        let n = dims.reduce(1, *)
        let x = (0..<n).map { _ in Float(rng.next() % 1000) }
        let (outer, mid, inner) = Layout.split(dims, axis: axis)
        #expect(outer * mid * inner == n)
        let y = x.withUnsafeBufferPointer { Layout.moveAxisToFront($0, outer: outer, mid: mid, inner: inner) }
        // y is laid out as movedShape: index [m, rest...]
        let moved = Layout.movedShape(dims, axis: axis)
        #expect(moved.first == dims[axis])
        // Check every element against the definition via multi-indices.
        func strides(_ d: [Int]) -> [Int] { var s = [Int](repeating: 1, count: d.count); for i in stride(from: d.count - 2, through: 0, by: -1) { s[i] = s[i + 1] * d[i + 1] }; return s }
        let sx = strides(dims), sy = strides(moved)
        for flat in 0..<n {
            var idx = [Int](repeating: 0, count: dims.count), r = flat
            for k in 0..<dims.count { idx[k] = r / sx[k]; r %= sx[k] }
            var j = idx; let a = j.remove(at: axis); j.insert(a, at: 0)
            let yFlat = zip(j, sy).reduce(0) { $0 + $1.0 * $1.1 }
            #expect(y[yFlat] == x[flat])
        }
        let back = y.withUnsafeBufferPointer { Layout.moveFrontAxisBack($0, outer: outer, mid: mid, inner: inner) }
        #expect(back == x)
    }
}
