/// `activations:` of a `quantize` pass: calibrated QDQ (a mapping) or `dynamic` (quantized at run time by the
/// runtime: DynamicQuantizeLinear + MatMulInteger / ConvInteger, CPU targets).
public enum ActivationsSetting: Sendable, Hashable, Codable {
    case calibrated(ActivationQuantSpec)
    case dynamic

    public var calibrated: ActivationQuantSpec? {
        if case .calibrated(let s) = self { return s }
        return nil
    }

    private enum CodingKeys: String, CodingKey { case dynamic, calibrated }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self), s == "dynamic" { self = .dynamic; return }
        self = .calibrated(try c.decode(ActivationQuantSpec.self))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .dynamic: try c.encode("dynamic")
        case .calibrated(let s): try c.encode(s)
        }
    }
}
