/// Integer element types a weight can be quantized to.
///
/// `qmin`/`qmax` are the full representable range of the type. Symmetric quantization uses the narrower,
/// sign-balanced range described on ``QuantScheme``.
public enum WeightType: String, Sendable, Hashable, CaseIterable {
    case int8, uint8, int4, uint4

    /// Bits per element: 8 or 4.
    public var bits: Int {
        switch self {
        case .int8, .uint8: return 8
        case .int4, .uint4: return 4
        }
    }

    /// True for the two's-complement types `int8` and `int4`.
    public var isSigned: Bool {
        switch self {
        case .int8, .int4: return true
        case .uint8, .uint4: return false
        }
    }

    /// Smallest representable value: −2^(b−1) for signed types, 0 for unsigned ones.
    public var qmin: Int32 { isSigned ? -(Int32(1) << (bits - 1)) : 0 }

    /// Largest representable value: 2^(b−1) − 1 for signed types, 2^b − 1 for unsigned ones.
    public var qmax: Int32 { isSigned ? (Int32(1) << (bits - 1)) - 1 : (Int32(1) << bits) - 1 }

    /// 2^(b−1) − 1 (127 or 7): the largest |q − zp| symmetric quantization produces.
    public var halfRange: Int32 { (Int32(1) << (bits - 1)) - 1 }

    /// The zero point of symmetric quantization: 0 for signed types, 2^(b−1) (128 or 8) for unsigned ones.
    public var symmetricZeroPoint: Int32 { isSigned ? 0 : Int32(1) << (bits - 1) }
}
