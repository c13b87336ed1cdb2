/// How a quantization range (lo, hi) for an activation is chosen from its ``ActivationHistogram``.
///
/// Common rules of ``range(_:levels:symmetric:)``, with N = the histogram's finite count, M = its
/// ``ActivationHistogram/maxMagnitude``, w = its bin width, and `levels` = the number of integer codes of the
/// target type (256 for int8 / uint8, 65536 for uint16):
///
/// - An empty histogram (N = 0) gives (0, 0).
/// - 0 is always inside the range (it must be exactly representable): symmetric methods return (−t, t) with
///   0 ≤ t ≤ M; asymmetric ones return lo ∈ [min(min, 0), 0] and hi ∈ [0, max(max, 0)].
/// - Thresholds are computed in Double from the bin counts, clamped to the observed extremes in Double, then
///   rounded to Float once (so a clamped threshold is exactly the observed extreme). Every sum runs in a fixed
///   order: the same histogram gives the same bits.
///
/// The methods:
/// - ``minmax``: symmetric (−M, M); asymmetric (min(min, 0), max(max, 0)).
/// - ``percentile(_:)`` p ∈ (0, 100]: symmetric, t = the upper edge (i + 1)·w of the first magnitude bin i at
///   which the cumulative count reaches k = max(1, ⌈p/100 · N⌉), clamped to M. Asymmetric, the tails are cut
///   evenly: f = (1 − p/100)/2, k = max(1, ⌈(1 − f)·N⌉); walking the signed bins upward (negative bins from the
///   largest magnitude down, then positive bins from 0 up), the bin where the count reaches k gives hi (a positive
///   bin i: (i + 1)·w clamped to max; a negative bin: 0); walking downward likewise gives lo (a negative bin j:
///   −(j + 1)·w clamped to min; a positive bin: 0). `percentile(100)` equals ``minmax`` exactly.
/// - ``entropy``: TensorRT's KL-divergence calibration on the magnitude histogram; see
///   `entropyThreshold(_:quantizedBins:)`. Symmetric (−t, t); asymmetric (max(−t, min(min, 0)), min(t, max(max, 0))).
/// - ``mse``: the threshold minimizing the expected squared quantization error estimated from the histogram;
///   see `mseThreshold(_:levels:)` and `mseAsymmetric(_:levels:)`.
public enum RangeMethod: Sendable, Hashable {
    case minmax
    /// Keep this percentage (0 < p ≤ 100) of the values inside the range.
    case percentile(Double)
    /// KL divergence (TensorRT), with levels / 2 quantized bins on |x| (128 for 8-bit types).
    case entropy
    /// Minimum expected squared error: clipping error + uniform rounding noise step²/12.
    case mse

    /// The quantization range for `h` (rules on ``RangeMethod``).
    public func range(_ h: ActivationHistogram, levels: Int, symmetric: Bool) -> (lo: Float, hi: Float) {
        precondition(levels >= 4, "RangeMethod.range: levels must be at least 4")
        guard h.count > 0 else { return (0, 0) }
        let lowest = Swift.min(h.lo, 0), highest = Swift.max(h.hi, 0), m = h.maxMagnitude
        switch self {
        case .minmax:
            return symmetric ? (-m, m) : (lowest, highest)
        case .percentile(let p):
            precondition(p > 0 && p <= 100, "RangeMethod.percentile: p must be in (0, 100]")
            if symmetric {
                let k = Self.rank(p / 100, of: h.count)
                let bins = h.magnitudeBins
                var cumulative: UInt64 = 0
                for i in 0..<h.binCount {
                    cumulative += bins[i]
                    if cumulative >= k {
                        let t = Self.clamp(Double(i + 1) * h.binWidth, m)
                        return (-t, t)
                    }
                }
                return (-m, m)
            }
            let k = Self.rank(1 - (1 - p / 100) / 2, of: h.count)
            return (Self.lowerTail(h, k, lowest), Self.upperTail(h, k, highest))
        case .entropy:
            let t = Self.entropyThreshold(h, quantizedBins: levels / 2)
            return symmetric ? (-t, t) : (Swift.max(-t, lowest), Swift.min(t, highest))
        case .mse:
            if symmetric {
                let t = Self.mseThreshold(h, levels: levels)
                return (-t, t)
            }
            return Self.mseAsymmetric(h, levels: levels)
        }
    }

    /// k = max(1, ⌈q · n⌉), at most n (q · n in Double).
    static func rank(_ q: Double, of n: UInt64) -> UInt64 {
        let k = (q * Double(n)).rounded(.up)
        return k >= Double(n) ? n : Swift.max(1, UInt64(Swift.max(k, 0)))
    }

    /// Float(min(t, limit)) for t ≥ 0 and a finite limit ≥ 0.
    static func clamp(_ t: Double, _ limit: Float) -> Float {
        t >= Double(limit) ? limit : Float(t)
    }

    /// hi of the asymmetric percentile: the signed bin, walking upward, where the count reaches k.
    static func upperTail(_ h: ActivationHistogram, _ k: UInt64, _ highest: Float) -> Float {
        var cumulative: UInt64 = 0
        for j in stride(from: h.binCount - 1, through: 0, by: -1) {
            cumulative += h.bins[h.binCount + j]
            if cumulative >= k { return 0 }
        }
        for i in 0..<h.binCount {
            cumulative += h.bins[i]
            if cumulative >= k { return clamp(Double(i + 1) * h.binWidth, highest) }
        }
        return highest
    }

    /// lo of the asymmetric percentile: the signed bin, walking downward, where the count reaches k.
    static func lowerTail(_ h: ActivationHistogram, _ k: UInt64, _ lowest: Float) -> Float {
        var cumulative: UInt64 = 0
        for i in stride(from: h.binCount - 1, through: 0, by: -1) {
            cumulative += h.bins[i]
            if cumulative >= k { return 0 }
        }
        for j in 0..<h.binCount {
            cumulative += h.bins[h.binCount + j]
            if cumulative >= k { return -clamp(Double(j + 1) * h.binWidth, -lowest) }
        }
        return lowest
    }

    /// 1 + the index of the last non-empty bin of `bins` (0 when all are empty).
    static func usedBins(_ bins: [UInt64]) -> Int {
        (bins.lastIndex { $0 != 0 } ?? -1) + 1
    }
}
