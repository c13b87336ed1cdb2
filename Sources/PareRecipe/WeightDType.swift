/// The integer type quantized weights are stored in.
public enum WeightDType: String, Sendable, Hashable, Codable, CaseIterable {
    case int8, uint8, int4, uint4

    /// Bits per stored value.
    public var bits: Int {
        switch self {
        case .int8, .uint8: return 8
        case .int4, .uint4: return 4
        }
    }

    /// Whether the type is signed (two's complement).
    public var isSigned: Bool { self == .int8 || self == .int4 }

    /// The representable integer range: `-2^(b-1) ... 2^(b-1)-1` when signed, `0 ... 2^b - 1` when not.
    public var range: ClosedRange<Int> {
        isSigned ? -(1 << (bits - 1))...((1 << (bits - 1)) - 1) : 0...((1 << bits) - 1)
    }
}
