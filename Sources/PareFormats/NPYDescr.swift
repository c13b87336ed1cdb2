import PareTensor

/// numpy's `descr` strings for the element types pare reads from `.npy` files.
///
/// Accepted (little-endian `<`, or `|` "not applicable" for one-byte types, as numpy writes them):
/// `<f4 <f8 <f2 <i8 <i4 <i2 |i1 |u1 <u2 <u4 <u8 |b1`. A one-byte type may carry any byte-order mark (`<i1`,
/// `>u1`, `=b1`), since order does not apply to it. Rejected with a message saying how to convert: big-endian
/// (`>f4`), native-order (`=f4`) and order-less (`|f4`) multi-byte types, object arrays (`|O`, pickled), and
/// every other type (complex, strings, dates, void, structured dtypes).
enum NPYDescr {
    /// The pare type of `descr`, or a message saying why it is not accepted and what to do.
    static func dtype(_ descr: String) -> Result<DType, Message> {
        let u = Array(descr.unicodeScalars)
        guard u.count >= 2, "<>|=".unicodeScalars.contains(u[0]) else { return .failure(unsupported(descr)) }
        let order = u[0]
        let code = String(String.UnicodeScalarView(u[1...]))
        if code == "O" || code == "O8" || code == "O4" {
            return .failure(Message(text: "holds Python objects (dtype '\(descr)', pickled); pare reads only numeric arrays: save a numeric array (e.g. np.asarray(x, dtype=np.float32))"))
        }
        let table: [String: DType] = [
            "f4": .float32, "f8": .float64, "f2": .float16,
            "i8": .int64, "i4": .int32, "i2": .int16, "i1": .int8,
            "u8": .uint64, "u4": .uint32, "u2": .uint16, "u1": .uint8,
            "b1": .bool,
        ]
        guard let t = table[code] else { return .failure(unsupported(descr)) }
        if t.bits == 8 { return .success(t) }
        switch order {
        case "<": return .success(t)
        case ">":
            return .failure(Message(text: "is big-endian (dtype '\(descr)'); pare reads little-endian arrays: save x.astype('<\(code)') instead"))
        default:
            return .failure(Message(text: "has dtype '\(descr)' without an explicit little-endian byte order; save x.astype('<\(code)') instead"))
        }
    }

    /// The descr numpy writes for `dtype`, or nil for types `.npy` files do not have (bfloat16, int4, uint4).
    static func descr(_ dtype: DType) -> String? {
        switch dtype {
        case .float32: return "<f4"
        case .float64: return "<f8"
        case .float16: return "<f2"
        case .int64: return "<i8"
        case .int32: return "<i4"
        case .int16: return "<i2"
        case .int8: return "|i1"
        case .uint64: return "<u8"
        case .uint32: return "<u4"
        case .uint16: return "<u2"
        case .uint8: return "|u1"
        case .bool: return "|b1"
        case .bfloat16, .int4, .uint4: return nil
        }
    }

    private static func unsupported(_ descr: String) -> Message {
        Message(text: "has dtype '\(descr)', which pare does not read; use one of <f4 <f8 <f2 <i8 <i4 <i2 |i1 |u1 <u2 <u4 <u8 |b1 (e.g. x.astype(np.float32))")
    }

    struct Message: Error { var text: String }
}
