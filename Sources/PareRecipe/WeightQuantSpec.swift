/// A complete weight quantization scheme (all defaults filled in).
public struct WeightQuantSpec: Sendable, Hashable, Codable {
    /// Default `int8`.
    public var dtype: WeightDType
    /// Default `per-channel`.
    public var granularity: WeightGranularity
    /// Values per group for `per-group` (default 32, ≥ 2 and even). Always 32 for other granularities, so that
    /// equal schemes encode (and hash) the same.
    public var group: Int
    /// Default true: zero point 0, scale = max|w| / qmax. False: affine with a zero point over [min, max].
    public var symmetric: Bool

    /// The default (and canonical non-per-group) `group`.
    public static let defaultGroup = 32

    /// A scheme; `group` is normalized to `defaultGroup` unless `granularity` is per-group.
    public init(dtype: WeightDType = .int8, granularity: WeightGranularity = .perChannel,
                group: Int = WeightQuantSpec.defaultGroup, symmetric: Bool = true) {
        self.dtype = dtype
        self.granularity = granularity
        self.group = granularity == .perGroup ? group : WeightQuantSpec.defaultGroup
        self.symmetric = symmetric
    }

    /// e.g. `int4 per-group(32) symmetric`.
    public var summary: String {
        let g = granularity == .perGroup ? "per-group(\(group))" : granularity.rawValue
        return "\(dtype.rawValue) \(g) \(symmetric ? "symmetric" : "asymmetric")"
    }
}
