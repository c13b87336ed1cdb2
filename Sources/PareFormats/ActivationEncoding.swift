/// How a model artifact's activations are quantized (ONNX models only): the per-tensor parameters of every
/// quantized activation (static QDQ), or the dynamic form. Bundles write it with `ONNXEncoder`.
public struct ActivationEncoding: Sendable, Hashable, Codable {
    /// Static: the quantized activations, sorted by name.
    public var quantized: [ONNXActivationQuant]
    /// Activations left in float, with the reason ("softmax input", "override", "fallback", ...), by name.
    public var kept: [String: String]
    /// The dynamic form (DynamicQuantizeLinear + MatMulInteger / ConvInteger) instead of static parameters.
    public var dynamic: Bool
    /// The range method ("mse", "minmax", "percentile 99.99", "entropy"); empty for dynamic.
    public var method: String
    /// The calibration statistics artifact the ranges came from (hex digest), nil for dynamic.
    public var statistics: String?

    public init(quantized: [ONNXActivationQuant] = [], kept: [String: String] = [:], dynamic: Bool = false,
                method: String = "", statistics: String? = nil) {
        self.quantized = quantized
        self.kept = kept
        self.dynamic = dynamic
        self.method = method
        self.statistics = statistics
    }
}
