/// Element types pare reads, computes and writes.
///
/// `int4`/`uint4` are packed two per byte, low nibble first (element 2k in bits 0–3 of byte k).
public enum DType: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case float64, float32, float16, bfloat16
    case int64, int32, int16, int8, int4
    case uint64, uint32, uint16, uint8, uint4
    case bool

    public var description: String { rawValue }

    /// Bits per element.
    public var bits: Int {
        switch self {
        case .float64, .int64, .uint64: return 64
        case .float32, .int32, .uint32: return 32
        case .float16, .bfloat16, .int16, .uint16: return 16
        case .int8, .uint8, .bool: return 8
        case .int4, .uint4: return 4
        }
    }

    public var isFloatingPoint: Bool {
        switch self {
        case .float64, .float32, .float16, .bfloat16: return true
        default: return false
        }
    }

    /// Bytes needed for `count` elements (packed types round up), or nil on overflow.
    public func byteCount(elements count: Int) -> Int? {
        guard count >= 0 else { return nil }
        if bits == 4 { return count / 2 + count % 2 }
        let (r, o) = count.multipliedReportingOverflow(by: bits / 8)
        return o ? nil : r
    }

    /// The safetensors dtype string, for types safetensors has.
    public var safetensorsName: String? {
        switch self {
        case .float64: return "F64"
        case .float32: return "F32"
        case .float16: return "F16"
        case .bfloat16: return "BF16"
        case .int64: return "I64"
        case .int32: return "I32"
        case .int16: return "I16"
        case .int8: return "I8"
        case .uint64: return "U64"
        case .uint32: return "U32"
        case .uint16: return "U16"
        case .uint8: return "U8"
        case .bool: return "BOOL"
        case .int4, .uint4: return nil
        }
    }

    public init?(safetensorsName: String) {
        guard let t = DType.allCases.first(where: { $0.safetensorsName == safetensorsName }) else { return nil }
        self = t
    }
}
