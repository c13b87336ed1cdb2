/// What an activation override (or the fragile-value policy) asks for: keep the value in float, or quantize it to
/// one integer type.
public enum ActivationPrecision: String, Sendable, Hashable, Codable, CaseIterable {
    case float, uint8, int8, uint16, int16

    /// The integer type, nil for float.
    public var dtype: ActivationDType? { self == .float ? nil : ActivationDType(rawValue: rawValue) }
}
