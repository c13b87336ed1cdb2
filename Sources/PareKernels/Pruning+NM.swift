extension Pruning {
    /// N:M structured sparsity: in each group of M consecutive elements of a row keep the N with largest |x|
    /// (ties: lower index kept), zero the others. Caller guarantees cols % M == 0.
    ///
    /// Scalar reference: sorts each group's indices by (|x| descending, index ascending) and keeps the first N.
    public static func nmReference(_ x: UnsafeBufferPointer<Float>, rows: Int, cols: Int, n: Int, m: Int) -> [Float] {
        checkNM(x.count, rows: rows, cols: cols, n: n, m: m, function: "Pruning.nmReference")
        var out = Array(x)
        for start in stride(from: 0, to: x.count, by: m) {
            let order = (start..<(start + m)).sorted { a, b in
                let ka = FloatKeys.magnitude(x[a]), kb = FloatKeys.magnitude(x[b])
                return ka != kb ? ka > kb : a < b
            }
            for i in order.dropFirst(n) { out[i] = 0 }
        }
        return out
    }

    /// Fast N:M pruning, bit-exact with ``nmReference(_:rows:cols:n:m:)``, parallel over rows.
    ///
    /// Each element is kept when its rank in the group is below N, rank = #{earlier elements with |x| ≥ its |x|}
    /// + #{later elements with |x| > its |x|} — branch-free comparisons of magnitude bits (4-lane vectors for M = 4).
    public static func nm(_ x: UnsafeBufferPointer<Float>, rows: Int, cols: Int, n: Int, m: Int,
                          threads: Int) -> [Float] {
        checkNM(x.count, rows: rows, cols: cols, n: n, m: m, function: "Pruning.nm")
        return [Float](unsafeUninitializedCapacity: x.count) { buffer, initialized in
            initialized = x.count
            guard let src = x.baseAddress, let dst = buffer.baseAddress else { return }
            nonisolated(unsafe) let s = src, d = dst
            Parallel.forEachRange(count: rows, threads: threads, minimumChunk: Swift.max(1, 16_384 / Swift.max(cols, 1))) { _, rowRange in
                let begin = rowRange.lowerBound * cols, count = rowRange.count * cols
                if m == 4 {
                    nm4(s + begin, d + begin, groups: count / 4, n: n)
                } else {
                    nmGeneric(s + begin, d + begin, groups: count / m, n: n, m: m)
                }
            }
        }
    }

    /// True if every group of M satisfies the N:M pattern (at most N non-zeros).
    public static func satisfiesNM(_ x: UnsafeBufferPointer<Float>, rows: Int, cols: Int, n: Int, m: Int) -> Bool {
        checkNM(x.count, rows: rows, cols: cols, n: n, m: m, function: "Pruning.satisfiesNM")
        guard let p = x.baseAddress else { return true }
        for start in stride(from: 0, to: x.count, by: m) {
            var nonZero = 0
            for i in start..<(start + m) { nonZero &+= FloatKeys.magnitude(p[i]) != 0 ? 1 : 0 }
            if nonZero > n { return false }
        }
        return true
    }

    static func checkNM(_ count: Int, rows: Int, cols: Int, n: Int, m: Int, function: StaticString) {
        precondition(rows >= 0 && cols >= 0 && rows * cols == count,
                     "\(function): buffer has \(count) elements but rows × cols = \(rows) × \(cols)")
        precondition(m > 0 && n >= 0 && cols % m == 0,
                     "\(function): pattern \(n):\(m) needs M > 0, N ≥ 0 and M dividing the column count \(cols)")
    }

    /// N:4 over `groups` consecutive groups, one group per 4-lane integer vector: lane j's rank adds, for each
    /// rotation o = 1…3 of the group, whether the neighbour (j + o) mod 4 beats it — a larger magnitude, or an
    /// equal one at a lower index (exactly the lanes where the rotation wrapped around). Measured 1.7× faster than
    /// the scalar formulation, which LLVM does not vectorize across groups.
    @inline(never)
    static func nm4(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, groups: Int, n: Int) {
        let keep = SIMD4<Int32>(repeating: Int32(truncatingIfNeeded: Swift.min(n, 4)))
        let wrapped1 = SIMDMask<SIMD4<Int32>>(SIMD4(0, 0, 0, -1))
        let wrapped2 = SIMDMask<SIMD4<Int32>>(SIMD4(0, 0, -1, -1))
        let wrapped3 = SIMDMask<SIMD4<Int32>>(SIMD4(0, -1, -1, -1))
        let input = UnsafeRawPointer(src), output = UnsafeMutableRawPointer(dst)
        for g in 0..<groups {
            let bits = input.loadUnaligned(fromByteOffset: 16 * g, as: SIMD4<Int32>.self)
            let k = bits & 0x7FFF_FFFF
            let n1 = SIMD4(k[1], k[2], k[3], k[0])
            let n2 = SIMD4(k[2], k[3], k[0], k[1])
            let n3 = SIMD4(k[3], k[0], k[1], k[2])
            // A true mask lane is −1, so subtracting masks counts the neighbours that beat the lane.
            var rank = SIMD4<Int32>.zero
            rank &-= unsafeBitCast((n1 .> k) .| ((n1 .== k) .& wrapped1), to: SIMD4<Int32>.self)
            rank &-= unsafeBitCast((n2 .> k) .| ((n2 .== k) .& wrapped2), to: SIMD4<Int32>.self)
            rank &-= unsafeBitCast((n3 .> k) .| ((n3 .== k) .& wrapped3), to: SIMD4<Int32>.self)
            let kept = unsafeBitCast(rank .< keep, to: SIMD4<Int32>.self)
            output.storeBytes(of: bits & kept, toByteOffset: 16 * g, as: SIMD4<Int32>.self)
        }
    }

    /// N:M for any M, O(M²) comparisons per group.
    static func nmGeneric(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, groups: Int, n: Int, m: Int) {
        for g in 0..<groups {
            let p = src + m * g, q = dst + m * g
            for j in 0..<m {
                let kj = FloatKeys.magnitude(p[j])
                var rank = 0
                for i in 0..<j { rank &+= FloatKeys.magnitude(p[i]) >= kj ? 1 : 0 }
                for i in (j + 1)..<m { rank &+= FloatKeys.magnitude(p[i]) > kj ? 1 : 0 }
                q[j] = rank < n ? p[j] : 0
            }
        }
    }
}
