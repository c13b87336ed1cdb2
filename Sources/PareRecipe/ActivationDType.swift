/// The integer type of quantized activations (`activations.dtype`). `auto` is resolved per target at plan time:
/// uint8 when the target runs it, else int8.
public enum ActivationDType: String, Sendable, Hashable, Codable, CaseIterable {
    case auto, uint8, int8, uint16, int16

    /// Number of integer codes (256 or 65536); `auto` has none.
    public var levels: Int { self == .uint16 || self == .int16 ? 65536 : 256 }
    public var isSigned: Bool { self == .int8 || self == .int16 }
    public var is16Bit: Bool { self == .uint16 || self == .int16 }
}
