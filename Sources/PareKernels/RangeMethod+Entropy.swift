extension RangeMethod {
    /// Smoothing constant of the distributions compared by the KL search (MXNet / TensorRT-style calibration).
    static let entropyEpsilon = 0.0001

    /// TensorRT's entropy calibration threshold on the magnitude histogram h[0..<n] (n = binCount, bin width w,
    /// Q = `quantizedBins`, u = 1 + the last non-empty bin):
    ///
    /// For every candidate i in Q...max(Q, u) with i ≤ n (the kept bins are [0, i)):
    /// - reference P: P[b] = h[b] for b < i, plus the outliers Σ_{b ≥ i} h[b] added to P[i − 1];
    /// - candidate C: h[0..<i] merged into Q groups of g = ⌊i / Q⌋ bins (the last group also takes the i − Q·g
    ///   remaining bins); each group's total (of h, without the outliers) is spread evenly over the group's bins
    ///   whose P is non-zero (bins where P is 0 stay 0), as in MXNet's and ONNX Runtime's implementations;
    /// - both are smoothed: with z zeros among the i entries (skip the candidate if all are zero),
    ///   zeros become ε = 1e-4 and non-zeros lose ε·z / (i − z); then normalized by their sums;
    /// - KL(P‖C) = Σ_{P[b] > 0} P[b] · log10(P[b] / C[b]) (``DeterministicMath/log10(_:)``; the base does not
    ///   change the argmin), summed in order of b.
    /// The first candidate with the smallest KL wins; t = i · w clamped to M (no candidate, or n < Q: t = M).
    static func entropyThreshold(_ h: ActivationHistogram, quantizedBins: Int) -> Float {
        let m = h.maxMagnitude
        let bins = h.magnitudeBins.map(Double.init)
        let n = bins.count, q = quantizedBins
        guard n >= q, q >= 1 else { return m }
        let last = Swift.min(n, Swift.max(q, usedBins(h.magnitudeBins)))
        var suffix = [Double](repeating: 0, count: n + 1)
        for b in stride(from: n - 1, through: 0, by: -1) { suffix[b] = suffix[b + 1] + bins[b] }
        var best: (i: Int, kl: Double)?
        var p = [Double](repeating: 0, count: n), c = [Double](repeating: 0, count: n)
        for i in q...last {
            for b in 0..<i { p[b] = bins[b] }
            p[i - 1] += suffix[i]
            let g = i / q
            for j in 0..<q {
                let start = j * g, stop = j == q - 1 ? i : start + g
                var total = 0.0, nonZero = 0
                for b in start..<stop {
                    total += bins[b]
                    if p[b] != 0 { nonZero += 1 }
                }
                for b in start..<stop { c[b] = p[b] != 0 ? total / Double(nonZero) : 0 }
            }
            guard smooth(&p, i), smooth(&c, i), let kl = divergence(p, c, i) else { continue }
            if best == nil || kl < best!.kl { best = (i, kl) }
        }
        guard let best else { return m }
        return clamp(Double(best.i) * h.binWidth, m)
    }

    /// Smooths x[0..<n] in place (zeros → ε, non-zeros − ε·zeros/nonZeros); false when all are zero.
    static func smooth(_ x: inout [Double], _ n: Int) -> Bool {
        var zeros = 0
        for b in 0..<n where x[b] == 0 { zeros += 1 }
        guard zeros < n else { return false }
        let take = entropyEpsilon * Double(zeros) / Double(n - zeros)
        for b in 0..<n { x[b] = x[b] == 0 ? entropyEpsilon : x[b] - take }
        return true
    }

    /// KL(p‖c) over [0, n) after normalizing each by its sum; nil when a sum or a term is not usable.
    static func divergence(_ p: [Double], _ c: [Double], _ n: Int) -> Double? {
        var sp = 0.0, sc = 0.0
        for b in 0..<n {
            sp += p[b]
            sc += c[b]
        }
        guard sp > 0, sc > 0 else { return nil }
        var kl = 0.0
        for b in 0..<n where p[b] > 0 {
            guard c[b] > 0 else { return nil }
            let pb = p[b] / sp
            kl += pb * DeterministicMath.log10(pb / (c[b] / sc))
        }
        return kl.isFinite ? kl : nil
    }
}
