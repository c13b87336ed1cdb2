/// Streaming statistics of one activation tensor over many batches, in memory independent of the number of
/// samples: exact min, max, count, count of rejected (non-finite) values, and a histogram of magnitudes split by
/// sign.
///
/// Exact rules (implemented identically by ``addReference(_:)`` and ``add(_:)``):
///
/// - **Rejected values**: NaN and ±∞ are counted in ``nonFiniteCount`` and nothing else (not binned, not in
///   min / max / count).
/// - **Zeros**: −0 is treated as +0 everywhere (min, max, bins): a zero is never negative.
/// - **Range**: the histogram covers magnitudes in [0, R) with R = 2^``rangeExponent``, a power of two, and
///   ``binCount`` = 2^k bins of width w = R / 2^k. R is the smallest power of two *strictly greater* than every
///   |x| seen so far, but never below 2^(k − 127) (so the bin scale 2^k / R is a normal Float; an empty histogram
///   or one of only zeros has that R). When a value does not fit, the range is doubled until it does, and each
///   doubling merges bins pairwise into the lower half: bin i becomes bin i / 2 (doubling d times: i >> d).
/// - **Bin rule**: a finite x with |x| = a falls into bin ⌊a · 2^k / R⌋ (half-open bins [i·w, (i+1)·w): a value on
///   a boundary i·w falls into bin i). x ≥ 0 counts in ``positiveBins``, x < 0 in ``negativeBins``; the
///   magnitude histogram (TensorRT / ONNX Runtime-style entropy calibration uses |x|) is their sum,
///   ``magnitudeBins``. Because R and w are powers of two, ⌊a · 2^k / R⌋ is computed exactly, and
///   ⌊⌊a·2^k/R⌋ / 2⌋ = ⌊a·2^k/(2R)⌋: merging pairwise after a doubling gives exactly the bins that binning at
///   the doubled range would have given.
///
/// Consequently the whole state is a function of the multiset of values added — not of batch boundaries or
/// order — and ``merge(_:)`` (parallel collection) equals sequential collection by construction.
public struct ActivationHistogram: Sendable, Hashable {
    /// Number of bins per sign (a power of two, 4 ≤ binCount ≤ 2^20).
    public let binCount: Int
    /// log2(binCount).
    let log2Bins: Int
    /// R = 2^rangeExponent: every binned magnitude is < R.
    public internal(set) var rangeExponent: Int
    /// Number of finite values (the binned ones).
    public internal(set) var count: UInt64 = 0
    /// Number of NaN / ±∞ values rejected.
    public internal(set) var nonFiniteCount: UInt64 = 0
    /// Exact smallest / largest finite value (−0 reported as +0); +∞ / −∞ while ``count`` is 0.
    var lo: Float = .infinity, hi: Float = -.infinity
    /// Bins: [0, binCount) for x ≥ 0, [binCount, 2·binCount) for x < 0.
    var bins: [UInt64]

    /// An empty histogram with `binCount` bins per sign (default 2048, TensorRT's number).
    public init(binCount: Int = 2048) {
        precondition(binCount >= 4 && binCount <= 1 << 20 && binCount & (binCount - 1) == 0,
                     "ActivationHistogram: binCount must be a power of two in 4...2^20")
        self.binCount = binCount
        self.log2Bins = binCount.trailingZeroBitCount
        self.rangeExponent = log2Bins - 127
        self.bins = [UInt64](repeating: 0, count: 2 * binCount)
    }

    /// The smallest allowed range exponent, k − 127.
    var minimumExponent: Int { log2Bins - 127 }

    /// Smallest finite value, nil when no finite value was added.
    public var min: Float? { count == 0 ? nil : lo }
    /// Largest finite value, nil when no finite value was added.
    public var max: Float? { count == 0 ? nil : hi }
    /// max(|min|, |max|), 0 when empty.
    public var maxMagnitude: Float { count == 0 ? 0 : Swift.max(-lo, hi) }
    /// The covered range R = 2^rangeExponent (a Double: it can be 2^128).
    public var range: Double { Double(sign: .plus, exponent: rangeExponent, significand: 1) }
    /// Bin width w = R / binCount.
    public var binWidth: Double { Double(sign: .plus, exponent: rangeExponent - log2Bins, significand: 1) }

    /// Counts of x ≥ 0 (including −0) by bin.
    public var positiveBins: ArraySlice<UInt64> { bins[0..<binCount] }
    /// Counts of x < 0 by bin of |x|.
    public var negativeBins: ArraySlice<UInt64> { bins[binCount..<(2 * binCount)] }
    /// Counts of |x| by bin: positive + negative.
    public var magnitudeBins: [UInt64] { (0..<binCount).map { bins[$0] + bins[binCount + $0] } }

    /// The range exponent needed for a magnitude `a` (finite, ≥ 0): the smallest e with 2^e > a, at least
    /// the minimum exponent.
    func neededExponent(_ a: Float) -> Int {
        a == 0 ? minimumExponent : Swift.max(minimumExponent, Int(a.exponent) + 1)
    }

    /// Doubles the range until R = 2^exponent, merging bins pairwise each time (bin i → i >> d for d doublings,
    /// in both halves). No-op when `exponent` ≤ the current one.
    mutating func grow(to exponent: Int) {
        guard exponent > rangeExponent else { return }
        let d = exponent - rangeExponent
        rangeExponent = exponent
        guard count > 0 else { return }
        let shift = Swift.min(d, log2Bins + 1)
        for half in 0..<2 {
            let base = half * binCount
            for i in 1..<binCount {
                let value = bins[base + i]
                guard value != 0 else { continue }
                bins[base + i] = 0
                bins[base + (i >> shift)] += value
            }
        }
    }

    /// Adds the statistics of `other` (same ``binCount``): the result equals collecting both inputs into one
    /// histogram, in any order. Both are brought to the larger range (pairwise merges), then counts are added.
    public mutating func merge(_ other: ActivationHistogram) {
        precondition(other.binCount == binCount, "ActivationHistogram.merge: bin counts differ")
        var other = other
        grow(to: other.rangeExponent)
        other.grow(to: rangeExponent)
        for i in bins.indices { bins[i] += other.bins[i] }
        count += other.count
        nonFiniteCount += other.nonFiniteCount
        lo = Swift.min(lo, other.lo)
        hi = Swift.max(hi, other.hi)
    }

    /// Scalar reference of ``add(_:)``: one value at a time, growing the range as soon as a value does not fit;
    /// the bin index is computed in Double as ⌊a · binCount / R⌋ (exact: a power-of-two scaling).
    public mutating func addReference(_ batch: UnsafeBufferPointer<Float>) {
        for x in batch {
            guard x.isFinite else {
                nonFiniteCount += 1
                continue
            }
            let v = x == 0 ? 0 : x
            lo = Swift.min(lo, v)
            hi = Swift.max(hi, v)
            count += 1
            let a = abs(v)
            grow(to: neededExponent(a))
            let index = Int((Double(a) * Double(binCount) / range).rounded(.down))
            precondition(index >= 0 && index < binCount, "ActivationHistogram: bin rule violated")
            bins[(v < 0 ? binCount : 0) + index] += 1
        }
    }
}
