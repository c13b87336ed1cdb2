extension ActivationHistogram {
    /// The complete state of a histogram as plain values, for storing it (the calibration statistics artifact):
    /// nonzero bins as (index, count) pairs in ascending index order.
    public struct State: Sendable, Hashable, Codable {
        public var binCount: Int
        public var rangeExponent: Int
        public var count: UInt64
        public var nonFiniteCount: UInt64
        /// The exact extremes (meaningless while `count` is 0; stored as 0 then).
        public var lo: Float
        public var hi: Float
        /// Nonzero bins: index into the 2·binCount bins, count.
        public var bins: [[UInt64]]

        public init(binCount: Int, rangeExponent: Int, count: UInt64, nonFiniteCount: UInt64, lo: Float, hi: Float, bins: [[UInt64]]) {
            self.binCount = binCount
            self.rangeExponent = rangeExponent
            self.count = count
            self.nonFiniteCount = nonFiniteCount
            self.lo = lo
            self.hi = hi
            self.bins = bins
        }
    }

    /// This histogram's state.
    public var state: State {
        var nz: [[UInt64]] = []
        for (i, c) in bins.enumerated() where c != 0 { nz.append([UInt64(i), c]) }
        return State(binCount: binCount, rangeExponent: rangeExponent, count: count, nonFiniteCount: nonFiniteCount,
                     lo: count == 0 ? 0 : lo, hi: count == 0 ? 0 : hi, bins: nz)
    }

    /// The histogram whose ``state`` is `state`; nil when the state is inconsistent (bin count not a power of two in
    /// 4...2^20, a bin index out of range, bin counts not summing to `count`, lo > hi, exponent out of range).
    public init?(state s: State) {
        guard s.binCount >= 4, s.binCount <= 1 << 20, s.binCount & (s.binCount - 1) == 0 else { return nil }
        self.init(binCount: s.binCount)
        guard s.rangeExponent >= minimumExponent, s.rangeExponent <= 129 else { return nil }
        rangeExponent = s.rangeExponent
        var total: UInt64 = 0
        for pair in s.bins {
            guard pair.count == 2, pair[0] < UInt64(2 * s.binCount) else { return nil }
            let (sum, overflow) = total.addingReportingOverflow(pair[1])
            guard !overflow else { return nil }
            total = sum
            bins[Int(pair[0])] = pair[1]
        }
        guard total == s.count else { return nil }
        count = s.count
        nonFiniteCount = s.nonFiniteCount
        if s.count > 0 {
            guard s.lo.isFinite, s.hi.isFinite, s.lo <= s.hi else { return nil }
            lo = s.lo
            hi = s.hi
        }
    }
}
