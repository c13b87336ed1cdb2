extension RangeMethod {
    /// Suffix sums over bins b ≥ i of count, count·c and count·c² (c = (b + ½)·w), in Double, accumulated from the
    /// last bin down; index `n` holds zeros.
    static func suffixMoments(_ bins: [UInt64], used: Int, width w: Double) -> (s0: [Double], s1: [Double], s2: [Double]) {
        var s0 = [Double](repeating: 0, count: used + 1), s1 = s0, s2 = s0
        var b = used - 1
        while b >= 0 {
            let n = Double(bins[b]), c = (Double(b) + 0.5) * w
            s0[b] = s0[b + 1] + n
            s1[b] = s1[b + 1] + n * c
            s2[b] = s2[b + 1] + n * c * c
            b -= 1
        }
        return (s0, s1, s2)
    }

    /// The symmetric MSE threshold, from the magnitude histogram h (bin width w, bin centres c_b = (b + ½)·w,
    /// u = 1 + the last non-empty bin, M = max |x|, N = the count):
    ///
    /// For each candidate i in 1...u, t = min(i·w, M), step Δ = 2t / (levels − 1), and
    /// E(t) = (N − S0_i) · Δ²/12 + (S2_i − 2t·S1_i + t²·S0_i)
    /// — rounding noise of the values inside, plus Σ_{b ≥ i} h[b]·(c_b − t)² for the values beyond, each bin at its
    /// centre — with S0/S1/S2 the suffix sums of `suffixMoments` (so each candidate costs O(1), the search O(u)).
    /// The first candidate with the smallest E wins (ties go to the smaller t); the last is t = M, nothing clipped.
    static func mseThreshold(_ h: ActivationHistogram, levels: Int) -> Float {
        let m = h.maxMagnitude
        let bins = h.magnitudeBins
        let used = usedBins(bins)
        guard used > 0, m > 0 else { return 0 }
        let w = h.binWidth, md = Double(m)
        let (s0, s1, s2) = suffixMoments(bins, used: used, width: w)
        let total = s0[0]
        var best: (t: Double, error: Double)?
        for i in 1...used {
            let t = Swift.min(Double(i) * w, md)
            let step = 2 * t / Double(levels - 1)
            let clipped = i < used ? Swift.max(0, s2[i] - 2 * t * s1[i] + t * t * s0[i]) : 0
            let error = (total - s0[i]) * (step * step / 12) + clipped
            if best == nil || error < best!.error { best = (t, error) }
        }
        return clamp(best!.t, m)
    }

    /// The asymmetric MSE range. With L = min(min, 0), H = max(max, 0) and u = 1 + the last non-empty bin of
    /// either sign, the candidates scale both ends together: for i in 1...u, lo = L·i/u, hi = H·i/u,
    /// Δ = (hi − lo)/(levels − 1), and E = (values inside) · Δ²/12 + Σ over positive bins with centre c > hi of
    /// count·(c − hi)² + Σ over negative bins with centre −c < lo of count·(lo + c)², the clipped sums taken from the
    /// suffix sums (`suffixMoments`) at the first clipped bin of each sign (found by a pointer that only moves up as
    /// i grows), so the search is O(u). The first candidate with the smallest E wins; the last one is (L, H).
    static func mseAsymmetric(_ h: ActivationHistogram, levels: Int) -> (lo: Float, hi: Float) {
        let lowest = Double(Swift.min(h.lo, 0)), highest = Double(Swift.max(h.hi, 0))
        let positive = Array(h.positiveBins), negative = Array(h.negativeBins)
        let used = Swift.max(usedBins(positive), usedBins(negative))
        guard used > 0, highest > lowest else { return (Float(lowest), Float(highest)) }
        let w = h.binWidth
        let p = suffixMoments(positive, used: used, width: w), n = suffixMoments(negative, used: used, width: w)
        let total = p.s0[0] + n.s0[0]
        var kp = 0, kn = 0   // first bin whose centre lies beyond hi / beyond −lo
        var best: (i: Int, error: Double)?
        for i in 1...used {
            let fraction = Double(i) / Double(used)
            let lo = lowest * fraction, hi = highest * fraction
            while kp < used && (Double(kp) + 0.5) * w <= hi { kp += 1 }
            while kn < used && (Double(kn) + 0.5) * w <= -lo { kn += 1 }
            let step = (hi - lo) / Double(levels - 1)
            let clippedPositive = Swift.max(0, p.s2[kp] - 2 * hi * p.s1[kp] + hi * hi * p.s0[kp])
            let m = -lo
            let clippedNegative = Swift.max(0, n.s2[kn] - 2 * m * n.s1[kn] + m * m * n.s0[kn])
            let inside = total - p.s0[kp] - n.s0[kn]
            let error = inside * (step * step / 12) + clippedPositive + clippedNegative
            if best == nil || error < best!.error { best = (i, error) }
        }
        let fraction = Double(best!.i) / Double(used)
        return (best!.i == used ? Float(lowest) : Float(lowest * fraction),
                best!.i == used ? Float(highest) : Float(highest * fraction))
    }
}
