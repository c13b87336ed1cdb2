/// What activation encodings a target runs (`activations:` in a target profile); `quantize` passes with
/// `activations:` are resolved and checked against it at plan time.
public struct ActivationSupport: Sendable, Hashable, Codable {
    /// Activation types it runs, among `ActivationSupport.knownDTypes`.
    public var dtypes: [String]
    /// Whether activation scales must be fixed ahead of time (calibrated), i.e. no dynamic quantization.
    public var staticOnly: Bool
    /// Whether quantized activations must have zero point 0 (`symmetric_only`, default false).
    public var symmetricOnly: Bool

    /// The activation type names a profile may list.
    public static let knownDTypes = ["int8", "uint8", "int16", "uint16", "fp16", "bf16", "fp32"]

    enum CodingKeys: String, CodingKey {
        case dtypes
        case staticOnly = "static_only"
        case symmetricOnly = "symmetric_only"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(dtypes: try c.decode([String].self, forKey: .dtypes), staticOnly: try c.decode(Bool.self, forKey: .staticOnly),
                  symmetricOnly: try c.decodeIfPresent(Bool.self, forKey: .symmetricOnly) ?? false)
    }

    /// `symmetric_only` is written only when true, so the keys of existing profiles do not change.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dtypes, forKey: .dtypes)
        try c.encode(staticOnly, forKey: .staticOnly)
        if symmetricOnly { try c.encode(symmetricOnly, forKey: .symmetricOnly) }
    }

    /// A support description; defaults: no activation types, dynamic allowed.
    public init(dtypes: [String] = [], staticOnly: Bool = false, symmetricOnly: Bool = false) {
        self.dtypes = dtypes
        self.staticOnly = staticOnly
        self.symmetricOnly = symmetricOnly
    }
}
