extension RangeMethod {
    /// The symmetric MSE threshold, from the magnitude histogram h (bin width w, bin centres c_b = (b + ½)·w,
    /// u = 1 + the last non-empty bin, M = max |x|):
    ///
    /// For each candidate i in 1...u, t = min(i·w, M), step Δ = 2t / (levels − 1), and
    /// E(t) = Σ_{b < i} h[b] · Δ²/12 + Σ_{b ≥ i} h[b] · (c_b − t)²
    /// (rounding noise of the values inside, clipping error of the values beyond, each bin at its centre; sums in
    /// Double in order of b). The first candidate with the smallest E wins (so ties go to the smaller t); the last
    /// candidate is t = M with nothing clipped.
    static func mseThreshold(_ h: ActivationHistogram, levels: Int) -> Float {
        let m = h.maxMagnitude
        let bins = h.magnitudeBins
        let used = usedBins(bins)
        guard used > 0, m > 0 else { return 0 }
        let w = h.binWidth, md = Double(m)
        var best: (t: Double, error: Double)?
        for i in 1...used {
            let t = Swift.min(Double(i) * w, md)
            let step = 2 * t / Double(levels - 1)
            let noise = step * step / 12
            var error = 0.0
            for b in 0..<used where bins[b] != 0 {
                if b < i {
                    error += Double(bins[b]) * noise
                } else {
                    let d = (Double(b) + 0.5) * w - t
                    error += Double(bins[b]) * d * d
                }
            }
            if best == nil || error < best!.error { best = (t, error) }
        }
        return clamp(best!.t, m)
    }

    /// The asymmetric MSE range. With L = min(min, 0), H = max(max, 0) and u = 1 + the last non-empty bin of
    /// either sign, the candidates scale both ends together: for i in 1...u, lo = L·i/u, hi = H·i/u,
    /// Δ = (hi − lo)/(levels − 1), and E = Σ over non-empty bins of count · err, where a positive bin with centre
    /// c = (b + ½)·w has err = (c − hi)² if c > hi, else Δ²/12, and a negative bin (centre −c) has err = (lo + c)²
    /// if −c < lo, else Δ²/12 (Double, positive bins then negative bins, each in order of b). The first candidate
    /// with the smallest E wins; the last one is (L, H).
    static func mseAsymmetric(_ h: ActivationHistogram, levels: Int) -> (lo: Float, hi: Float) {
        let lowest = Double(Swift.min(h.lo, 0)), highest = Double(Swift.max(h.hi, 0))
        let positive = Array(h.positiveBins), negative = Array(h.negativeBins)
        let used = Swift.max(usedBins(positive), usedBins(negative))
        guard used > 0, highest > lowest else { return (Float(lowest), Float(highest)) }
        let w = h.binWidth
        var best: (i: Int, error: Double)?
        for i in 1...used {
            let fraction = Double(i) / Double(used)
            let lo = lowest * fraction, hi = highest * fraction
            let step = (hi - lo) / Double(levels - 1)
            let noise = step * step / 12
            var error = 0.0
            for b in 0..<used where positive[b] != 0 {
                let c = (Double(b) + 0.5) * w
                error += Double(positive[b]) * (c > hi ? (c - hi) * (c - hi) : noise)
            }
            for b in 0..<used where negative[b] != 0 {
                let c = (Double(b) + 0.5) * w
                error += Double(negative[b]) * (-c < lo ? (lo + c) * (lo + c) : noise)
            }
            if best == nil || error < best!.error { best = (i, error) }
        }
        let fraction = Double(best!.i) / Double(used)
        return (best!.i == used ? Float(lowest) : Float(lowest * fraction),
                best!.i == used ? Float(highest) : Float(highest * fraction))
    }
}
