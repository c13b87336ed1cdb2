/// One-dimensional k-means (weight sharing / palettization) of groups of float values.
///
/// For each group (a contiguous slice of the input) independently:
/// 1. the values are sorted ascending (x₀ ≤ … ≤ x_{n−1}) and prefix sums Pᵢ = Σ_{j<i} xⱼ are taken in Double, in
///    that order;
/// 2. k-means++ start: a SplitMix64 stream seeded with `seed &+ group · 0x9E3779B97F4A7C15` gives uniform draws
///    u = (next() >> 11) · 2⁻⁵³; the first centre is x_⌊u·n⌋, each next one the first xᵢ whose running sum of
///    D²(xᵢ) = min over chosen centres (xᵢ − c)² (Double, in sorted order) exceeds u · ΣD²;
/// 3. centres sorted ascending; `iterations` Lloyd steps: boundaries bₜ = (cₜ + cₜ₊₁) / 2 (Double), a value
///    belongs to cluster j = #{t : x > bₜ} (a value on a boundary goes to the lower cluster); each non-empty
///    cluster's centre becomes (P_hi − P_lo) / count; an empty cluster keeps its centre; centres are re-sorted;
///    the loop stops early when no cluster range changed;
/// 4. table = Float(cⱼ) (round to nearest even), index of each value = its cluster under the final boundaries.
/// The `reference` assigns by scanning every value against every boundary (O(n·k) per step); `fast` finds each
/// cluster range by binary search in the sorted values (O(k log n) per step) and runs groups in parallel. Both
/// give bit-identical results for any thread count. Precondition: finite values, every group with at least
/// `k` distinct values (see `fewestDistinct`).
public enum KMeans1D {
    /// The result: `table` is [groups, k] row-major, `indices` one cluster index per input value.
    public struct Result: Sendable, Equatable {
        public var table: [Float]
        public var indices: [UInt8]
    }

    /// Group `g` of `count` values split into groups of `groupSize` (the last may be shorter).
    @inline(__always)
    static func groupRange(_ g: Int, count: Int, groupSize: Int) -> Range<Int> {
        (g * groupSize)..<min(count, (g + 1) * groupSize)
    }

    /// Number of groups of `groupSize` in `count` values.
    public static func groupCount(count: Int, groupSize: Int) -> Int { (count + groupSize - 1) / max(1, groupSize) }

    /// The group with the fewest distinct values and that number (first such group on ties).
    public static func fewestDistinct(_ x: UnsafeBufferPointer<Float>, groupSize: Int) -> (group: Int, distinct: Int) {
        var best = (group: 0, distinct: Int.max)
        for g in 0..<groupCount(count: x.count, groupSize: groupSize) {
            let s = Array(x[groupRange(g, count: x.count, groupSize: groupSize)]).sorted()
            var d = s.isEmpty ? 0 : 1
            for i in s.indices.dropFirst() where s[i] != s[i - 1] { d += 1 }
            if d < best.distinct { best = (g, d) }
        }
        return best
    }

    /// Sorted values and their Double prefix sums (count + 1 entries).
    static func sortedPrefix<S: Sequence>(_ x: S) -> (sorted: [Float], prefix: [Double]) where S.Element == Float {
        let s = x.sorted()
        var p = [Double](repeating: 0, count: s.count + 1)
        var acc = 0.0
        for i in s.indices { acc += Double(s[i]); p[i + 1] = acc }
        return (s, p)
    }

    /// The seeded k-means++ start (step 2), shared by both versions; sorted ascending.
    static func seedCentres(_ s: [Float], k: Int, seed: UInt64, group: Int) -> [Double] {
        var rng = KMeansRandom(seed: seed &+ UInt64(group) &* 0x9E37_79B9_7F4A_7C15)
        let n = s.count
        var centres = [Double(s[min(n - 1, Int(rng.unit() * Double(n)))])]
        var d2 = s.map { let d = Double($0) - centres[0]; return d * d }
        while centres.count < k {
            var total = 0.0
            for v in d2 { total += v }
            let target = rng.unit() * total
            var run = 0.0, pick = n - 1
            while pick > 0 && d2[pick] == 0 { pick -= 1 }  // rounding fallback: the last value not yet a centre
            for i in 0..<n {
                run += d2[i]
                if run > target && d2[i] > 0 { pick = i; break }
            }
            let c = Double(s[pick])
            centres.append(c)
            for i in 0..<n { let d = Double(s[i]) - c; d2[i] = min(d2[i], d * d) }
        }
        return centres.sorted()
    }

    /// Boundaries bₜ = (cₜ + cₜ₊₁) / 2.
    @inline(__always)
    static func boundaries(_ c: [Double]) -> [Double] {
        (0..<(c.count - 1)).map { (c[$0] + c[$0 + 1]) / 2 }
    }

    /// Cluster of one value: the number of boundaries below it.
    @inline(__always)
    static func clusterLinear(_ v: Float, _ b: [Double]) -> Int {
        var j = 0
        for t in b.indices where Double(v) > b[t] { j += 1 }
        return j
    }

    /// Cluster of one value by binary search over the (sorted) boundaries.
    @inline(__always)
    static func clusterBinary(_ v: Float, _ b: [Double]) -> Int {
        var lo = 0, hi = b.count
        let x = Double(v)
        while lo < hi { let m = (lo + hi) / 2; if x > b[m] { lo = m + 1 } else { hi = m } }
        return lo
    }

    /// New centres from cluster start offsets (k + 1 entries, last = n); empty clusters keep theirs.
    @inline(__always)
    static func update(_ c: inout [Double], starts: [Int], prefix: [Double]) {
        for j in c.indices {
            let lo = starts[j], hi = starts[j + 1]
            if hi > lo { c[j] = (prefix[hi] - prefix[lo]) / Double(hi - lo) }
        }
        c.sort()
    }

    /// Plain scalar reference (O(n·k) per Lloyd step).
    public static func reference(_ x: UnsafeBufferPointer<Float>, groupSize: Int, k: Int, iterations: Int, seed: UInt64) -> Result {
        let groups = groupCount(count: x.count, groupSize: groupSize)
        var table = [Float](repeating: 0, count: groups * k)
        var indices = [UInt8](repeating: 0, count: x.count)
        for g in 0..<groups {
            let r = groupRange(g, count: x.count, groupSize: groupSize)
            let (s, p) = sortedPrefix(x[r])
            var c = seedCentres(s, k: k, seed: seed, group: g)
            var previous: [Int] = []
            for _ in 0..<iterations {
                let b = boundaries(c)
                var counts = [Int](repeating: 0, count: k)
                for v in s { counts[clusterLinear(v, b)] += 1 }
                var starts = [0]
                for j in 0..<k { starts.append(starts[j] + counts[j]) }
                if starts == previous { break }
                previous = starts
                update(&c, starts: starts, prefix: p)
            }
            for j in 0..<k { table[g * k + j] = Float(c[j]) }
            let b = boundaries(c)
            for i in r { indices[i] = UInt8(clusterLinear(x[i], b)) }
        }
        return Result(table: table, indices: indices)
    }

    /// Fast version: binary-searched cluster ranges (O(k log n) per Lloyd step), groups in parallel.
    public static func fast(_ x: UnsafeBufferPointer<Float>, groupSize: Int, k: Int, iterations: Int, seed: UInt64, threads: Int) -> Result {
        let groups = groupCount(count: x.count, groupSize: groupSize)
        var table = [Float](repeating: 0, count: groups * k)
        var indices = [UInt8](repeating: 0, count: x.count)
        table.withUnsafeMutableBufferPointer { tb in
            indices.withUnsafeMutableBufferPointer { ib in
                nonisolated(unsafe) let tb = tb, ib = ib
                Parallel.forEachRange(count: groups, threads: threads) { _, gr in
                    for g in gr {
                        let r = groupRange(g, count: x.count, groupSize: groupSize)
                        let (s, p) = sortedPrefix(x[r])
                        var c = seedCentres(s, k: k, seed: seed, group: g)
                        var previous: [Int] = []
                        var starts = [Int](repeating: 0, count: k + 1)
                        for _ in 0..<iterations {
                            let b = boundaries(c)
                            starts[k] = s.count
                            var lo = 0
                            for t in b.indices {
                                // First sorted index with value > b[t] (upper bound), searching from the last one.
                                var l = lo, h = s.count
                                while l < h { let m = (l + h) / 2; if Double(s[m]) > b[t] { h = m } else { l = m + 1 } }
                                starts[t + 1] = l
                                lo = l
                            }
                            if starts == previous { break }
                            previous = starts
                            update(&c, starts: starts, prefix: p)
                        }
                        for j in 0..<k { tb[g * k + j] = Float(c[j]) }
                        let b = boundaries(c)
                        for i in r { ib[i] = UInt8(clusterBinary(x[i], b)) }
                    }
                }
            }
        }
        return Result(table: table, indices: indices)
    }
}

/// SplitMix64 for the k-means++ start (PareKernels does not import PareBasics); same constants.
struct KMeansRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1): (next() >> 11) · 2⁻⁵³.
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
}
