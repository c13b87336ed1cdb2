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
    /// Default `minmax`; `mse` searches each block's parameters for the smallest squared error.
    public var fit: WeightFit

    /// The default (and canonical non-per-group) `group`.
    public static let defaultGroup = 32

    /// A scheme; `group` is normalized to `defaultGroup` unless `granularity` is per-group.
    public init(dtype: WeightDType = .int8, granularity: WeightGranularity = .perChannel,
                group: Int = WeightQuantSpec.defaultGroup, symmetric: Bool = true, fit: WeightFit = .minmax) {
        self.dtype = dtype
        self.granularity = granularity
        self.group = granularity == .perGroup ? group : WeightQuantSpec.defaultGroup
        self.symmetric = symmetric
        self.fit = fit
    }

    private enum CodingKeys: String, CodingKey { case dtype, granularity, group, symmetric, fit }

    /// `fit` is written only when it is not the default, so the cache keys of existing recipes do not change.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dtype, forKey: .dtype)
        try c.encode(granularity, forKey: .granularity)
        try c.encode(group, forKey: .group)
        try c.encode(symmetric, forKey: .symmetric)
        if fit != .minmax { try c.encode(fit, forKey: .fit) }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(dtype: try c.decode(WeightDType.self, forKey: .dtype),
                  granularity: try c.decode(WeightGranularity.self, forKey: .granularity),
                  group: try c.decode(Int.self, forKey: .group), symmetric: try c.decode(Bool.self, forKey: .symmetric),
                  fit: try c.decodeIfPresent(WeightFit.self, forKey: .fit) ?? .minmax)
    }

    /// e.g. `int4 per-group(32) symmetric`.
    public var summary: String {
        let g = granularity == .perGroup ? "per-group(\(group))" : granularity.rawValue
        return "\(dtype.rawValue) \(g) \(symmetric ? "symmetric" : "asymmetric")\(fit == .minmax ? "" : " fit \(fit.rawValue)")"
    }
}
