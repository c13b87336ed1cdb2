/// How a block's scale (and zero point) are chosen from its values.
///
/// - ``minmax``: the closed-form rules on ``QuantScheme`` (max|x| for symmetric, [min(x, 0), max(x, 0)] for
///   asymmetric). Cheap; the clipping range always covers every value.
/// - ``mse``: a search for the scale (symmetric) or the scale and a **fractional** zero point (asymmetric) that
///   minimize the block's squared error Σ (x − x̂)², described on ``Quantizer/fitReference(_:rows:cols:scheme:)``.
///   About 20–36 passes over each block instead of 2, for 1–1.5 dB more weight SQNR at 4 bits; asymmetric blocks
///   also get an error that sums to (nearly) zero, which removes the mean shift a layer's output would see.
///   Blocks with a non-finite value or all zeros use the ``minmax`` rules.
public enum QuantFit: String, Sendable, Hashable, CaseIterable {
    case minmax
    case mse

    /// The clipping ratios tried as starting points: the range [lo, hi] (asymmetric: lo·a and hi·b for every
    /// pair a, b in this order, a outer) or max|x| · a (symmetric).
    static let ratios: [Float] = [1, 0.9, 0.8, 0.7]
    /// Least-squares refinements of each starting point.
    static let refinements = 4
    /// How many of the asymmetric starts (those with the smallest error) are refined.
    static let refined = 4
}

extension QuantFit {
    /// The asymmetric starting points, in order: for every pair (a, b) of ``ratios`` (a outer), `l = lo · a`,
    /// `h = hi · b`, `s = Float((Double(h) − Double(l)) / (qmax − qmin))`, `zp = Float(qmin) − l / s`; a start whose
    /// s is not > 0 or whose `1 / s` is not finite is left out.
    static func asymmetricStarts(lo: Float, hi: Float, type: WeightType) -> [(s: Float, zp: Float)] {
        let qmin = Float(type.qmin), span = Double(type.qmax - type.qmin)
        var out: [(s: Float, zp: Float)] = []
        out.reserveCapacity(ratios.count * ratios.count)
        for a in ratios {
            for b in ratios {
                let l = lo * a, h = hi * b
                let s = Float((Double(h) - Double(l)) / span)
                guard s > 0, (1 / s).isFinite else { continue }
                out.append((s, qmin - l / s))
            }
        }
        return out
    }

    /// The least-squares (scale, zero point) for codes with sums Σq, Σq², Σq·x over n values with sum Σx:
    /// `s' = (n·Σq·x − Σq·Σx) / (n·Σq² − (Σq)²)`, `m' = (Σx − s'·Σq) / n`, returned as `(Float(s'), Float(−m'/s'))`;
    /// nil when the denominator is not > 0, or the new scale is not > 0, its reciprocal or the zero point not finite.
    static func affineRefit(n: Int, sq: Double, sqq: Double, sqx: Double, sx: Double) -> (s: Float, zp: Float)? {
        let det = Double(n) * sqq - sq * sq
        guard det > 0 else { return nil }
        let sD = (Double(n) * sqx - sq * sx) / det
        let mD = (sx - sD * sq) / Double(n)
        let s = Float(sD), zp = Float(-mD / sD)
        guard s > 0, (1 / s).isFinite, zp.isFinite else { return nil }
        return (s, zp)
    }
}
