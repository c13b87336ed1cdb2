import PareBasics

/// Calibrated (static) activation quantization of a `quantize` pass: every float activation of the graph gets a
/// per-tensor scale and zero point from the calibration statistics, written as QuantizeLinear → DequantizeLinear.
public struct ActivationQuantSpec: Sendable, Hashable, Codable {
    /// Default `auto` (resolved per target at plan time).
    public var dtype: ActivationDType
    /// nil = `auto`: symmetric when the target requires it or the type is 16-bit signed, else asymmetric.
    /// Resolved per target at plan time.
    public var symmetric: Bool?
    /// Default `mse`.
    public var method: ActivationRangeChoice
    /// For `method: percentile` (default 99.99); normalized to 99.99 for other methods so equal behaviour hashes equal.
    public var percentile: Double
    /// Default `keep`.
    public var fragile: FragilePolicy
    /// What `keep` means on the target (resolved at plan time): nil before resolution.
    public var fragilePrecision: ActivationPrecision?
    /// Per-name exceptions; the last matching one wins.
    public var overrides: [ActivationOverride]

    public static let defaultPercentile = 99.99

    public init(dtype: ActivationDType = .auto, symmetric: Bool? = nil, method: ActivationRangeChoice = .mse,
                percentile: Double = ActivationQuantSpec.defaultPercentile, fragile: FragilePolicy = .keep,
                fragilePrecision: ActivationPrecision? = nil, overrides: [ActivationOverride] = []) {
        self.dtype = dtype
        self.symmetric = symmetric
        self.method = method
        self.percentile = method == .percentile ? percentile : ActivationQuantSpec.defaultPercentile
        self.fragile = fragile
        self.fragilePrecision = fragilePrecision
        self.overrides = overrides
    }

    /// The precision an override gives `name`, if one matches (the last matching one).
    public func override(for name: String) -> ActivationPrecision? {
        overrides.last { $0.matches(name) }?.precision
    }
}
