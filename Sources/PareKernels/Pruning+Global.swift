extension Pruning {
    /// Global magnitude pruning across several tensors: returns the plan for each tensor so each tensor can then
    /// be pruned independently (for caching): elements with |x| < threshold are pruned, plus the first `ties`
    /// elements (in index order) with |x| == threshold. Tensors are considered in the given order for
    /// tie-breaking.
    ///
    /// Exactly k = floor(sparsity · Σ counts) elements are pruned in total: the k smallest magnitudes over the
    /// concatenation of the tensors, ties broken by (tensor order, index). The threshold is found by a two-pass
    /// radix select over the 31 magnitude bits (high 16 bits, then low 15 bits of the one bucket holding the k-th
    /// smallest), histograms parallel over `threads`. With k = 0 every plan is (threshold 0, ties 0), which prunes
    /// nothing.
    public static func globalPlans(_ tensors: [UnsafeBufferPointer<Float>], sparsity: Double,
                                   threads: Int = 1) -> [GlobalPlan] {
        let total = tensors.reduce(0) { $0 + $1.count }
        let k = pruneCount(total, sparsity: sparsity, function: "Pruning.globalPlans")
        guard k > 0 else { return tensors.map { _ in GlobalPlan(threshold: 0, ties: 0) } }
        let (key, less) = selectMagnitude(tensors, rank: k, threads: threads)
        // Hand the k − less ties out in tensor order. The last tensor always has enough (the k-th smallest is
        // the key), so it needs no counting pass — nor does any tensor once the ties are used up.
        var remaining = k - less
        return tensors.indices.map { i in
            let ties = remaining == 0 ? 0
                : i == tensors.count - 1 ? remaining
                : Swift.min(remaining, countMagnitude(tensors[i], equalTo: key))
            remaining -= ties
            return GlobalPlan(threshold: Float(bitPattern: key), ties: ties)
        }
    }

    /// Prunes one tensor by its plan (see ``GlobalPlan``). Returns the pruned copy.
    public static func apply(_ x: UnsafeBufferPointer<Float>, plan: GlobalPlan) -> [Float] {
        apply(x, plan: plan, threads: 1)
    }

    /// ``apply(_:plan:)`` with the threshold pass spread over `threads` ranges (same result for any `threads`).
    static func apply(_ x: UnsafeBufferPointer<Float>, plan: GlobalPlan, threads: Int) -> [Float] {
        precondition(plan.threshold.sign == .plus && plan.ties >= 0,
                     "Pruning.apply: plan threshold \(plan.threshold) and ties \(plan.ties) must not be negative")
        let key = plan.threshold.bitPattern
        return [Float](unsafeUninitializedCapacity: x.count) { buffer, initialized in
            initialized = x.count
            guard let src = x.baseAddress, let dst = buffer.baseAddress else { return }
            nonisolated(unsafe) let s = src, d = dst
            Parallel.forEachRange(count: x.count, threads: threads, minimumChunk: 1 << 16) { _, range in
                for i in range {
                    let v = s[i]
                    d[i] = FloatKeys.magnitude(v) < key ? 0 : v
                }
            }
            var ties = plan.ties
            var start = 0
            let chunk = 256
            while ties > 0 && start < x.count {
                let n = Swift.min(chunk, x.count - start)
                if countMagnitude(src + start, n, equalTo: key) > 0 {
                    for i in start..<(start + n) where ties > 0 && FloatKeys.magnitude(src[i]) == key {
                        dst[i] = 0
                        ties -= 1
                    }
                }
                start += n
            }
        }
    }

    /// The `rank`-th smallest magnitude key (1-based) over the concatenated tensors, and how many keys are
    /// smaller. Requires 1 ≤ rank ≤ total count.
    static func selectMagnitude(_ tensors: [UnsafeBufferPointer<Float>], rank: Int,
                                threads: Int) -> (key: UInt32, less: Int) {
        let high = histogram(tensors, threads: threads, bins: 1 << 16) { src, range, h in
            for i in range { h[Int(FloatKeys.magnitude(src[i]) >> 15)] &+= 1 }
        }
        let (bucket, lessHigh) = locate(rank, in: high)
        let wanted = UInt32(bucket)
        let low = histogram(tensors, threads: threads, bins: 1 << 15) { src, range, h in
            for i in range {
                let m = FloatKeys.magnitude(src[i])
                if m >> 15 == wanted { h[Int(m & 0x7FFF)] &+= 1 }
            }
        }
        let (bin, lessLow) = locate(rank - lessHigh, in: low)
        return (wanted << 15 | UInt32(bin), lessHigh + lessLow)
    }

    /// The bin holding the `rank`-th smallest item (1-based) and the number of items in lower bins.
    static func locate(_ rank: Int, in histogram: [Int]) -> (bin: Int, below: Int) {
        var below = 0
        for (bin, n) in histogram.enumerated() {
            if below + n >= rank { return (bin, below) }
            below += n
        }
        preconditionFailure("Pruning: rank \(rank) exceeds the element count \(below)")
    }

    /// Sums per-piece histograms filled by `fill(source, range, bins)` over every tensor.
    static func histogram(_ tensors: [UnsafeBufferPointer<Float>], threads: Int, bins: Int,
                          _ fill: (UnsafePointer<Float>, Range<Int>, UnsafeMutablePointer<Int>) -> Void) -> [Int] {
        let pieces = Swift.max(1, threads)
        let local = UnsafeMutablePointer<Int>.allocate(capacity: pieces * bins)
        local.initialize(repeating: 0, count: pieces * bins)
        defer { local.deallocate() }
        nonisolated(unsafe) let histograms = local
        for t in tensors {
            guard let base = t.baseAddress else { continue }
            nonisolated(unsafe) let src = base
            Parallel.forEachRange(count: t.count, threads: pieces, minimumChunk: 1 << 16) { piece, range in
                fill(src, range, histograms + piece * bins)
            }
        }
        var total = [Int](repeating: 0, count: bins)
        for piece in 0..<pieces {
            for b in 0..<bins { total[b] += local[piece * bins + b] }
        }
        return total
    }

    static func countMagnitude(_ x: UnsafeBufferPointer<Float>, equalTo key: UInt32) -> Int {
        guard let p = x.baseAddress else { return 0 }
        return countMagnitude(p, x.count, equalTo: key)
    }

    static func countMagnitude(_ p: UnsafePointer<Float>, _ n: Int, equalTo key: UInt32) -> Int {
        var count = 0
        for i in 0..<n {
            count &+= FloatKeys.magnitude(p[i]) == key ? 1 : 0
        }
        return count
    }
}
