/// The integer type of quantized activations (`activations.dtype`). `auto` is resolved per target at plan time:
/// uint8 when the target runs it, else int8.
public enum ActivationDType: String, Sendable, Hashable, Codable, CaseIterable {
    case auto, uint8, int8, uint16, int16

    /// Number of integer codes (256 or 65536); `auto` has none.
    public var levels: Int { self == .uint16 || self == .int16 ? 65536 : 256 }
    public var isSigned: Bool { self == .int8 || self == .int16 }
    public var is16Bit: Bool { self == .uint16 || self == .int16 }

    /// The 16-bit type a target that runs `dtypes` offers for this 8-bit type (same signedness first), nil when none
    /// (or when this type is already 16-bit).
    public func wider(among dtypes: Set<String>) -> ActivationDType? {
        guard !is16Bit else { return nil }
        return [isSigned ? ActivationDType.int16 : .uint16, isSigned ? .uint16 : .int16].first { dtypes.contains($0.rawValue) }
    }
}
