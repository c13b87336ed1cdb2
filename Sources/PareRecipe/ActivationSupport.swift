/// What activation encodings a target runs (`activations:` in a target profile). Validated and kept for the
/// activation-quantization passes of later versions.
public struct ActivationSupport: Sendable, Hashable, Codable {
    /// Activation types it runs, among `ActivationSupport.knownDTypes`.
    public var dtypes: [String]
    /// Whether activation scales must be fixed ahead of time (calibrated), i.e. no dynamic quantization.
    public var staticOnly: Bool

    /// The activation type names a profile may list.
    public static let knownDTypes = ["int8", "uint8", "int16", "uint16", "fp16", "bf16", "fp32"]

    enum CodingKeys: String, CodingKey {
        case dtypes
        case staticOnly = "static_only"
    }

    /// A support description; defaults: no activation types, dynamic allowed.
    public init(dtypes: [String] = [], staticOnly: Bool = false) {
        self.dtypes = dtypes
        self.staticOnly = staticOnly
    }
}
