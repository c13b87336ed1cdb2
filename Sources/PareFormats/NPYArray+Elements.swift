import PareTensor

extension NPYArray {
    /// The elements as `T`, in C order, when `T` is this array's element type exactly (`Float` for float32,
    /// `Double` for float64, `Int8`…`Int64`, `UInt8`…`UInt64`, `Bool` for bool); nil otherwise (use `floats()`
    /// to convert). float16 and bfloat16 arrays have no exact Swift type here: read them with `floats()`.
    public func elements<T: NPYElement>(as type: T.Type) -> [T]? {
        guard T.npyDType == dtype else { return nil }
        return withUnsafeBytes { raw in T.decode(raw, count: elementCount) }
    }

    /// The elements converted to `Float`, in C order: float16, bfloat16 and float64 are rounded to the nearest
    /// float32 (float16 and bfloat16 convert exactly), integers to the nearest float32 (exact up to 2²⁴ in
    /// magnitude), bools to 0 or 1, int4/uint4 unpacked low nibble first.
    public func floats() -> [Float] {
        let n = elementCount
        return withUnsafeBytes { raw -> [Float] in
            func map<T: NPYElement>(_: T.Type, _ f: (T) -> Float) -> [Float] { T.decode(raw, count: n).map(f) }
            switch dtype {
            case .float32: return Float.decode(raw, count: n)
            case .float64: return map(Double.self) { Float($0) }
            case .float16: return map(UInt16.self) { NPYArray.halfToFloat($0) }
            case .bfloat16: return map(UInt16.self) { Float(bitPattern: UInt32($0) << 16) }
            case .int64: return map(Int64.self) { Float($0) }
            case .int32: return map(Int32.self) { Float($0) }
            case .int16: return map(Int16.self) { Float($0) }
            case .int8: return map(Int8.self) { Float($0) }
            case .uint64: return map(UInt64.self) { Float($0) }
            case .uint32: return map(UInt32.self) { Float($0) }
            case .uint16: return map(UInt16.self) { Float($0) }
            case .uint8: return map(UInt8.self) { Float($0) }
            case .bool: return (0..<n).map { raw[$0] != 0 ? 1 : 0 }
            case .int4, .uint4:
                return (0..<n).map { i in
                    let nib = Int(raw[i / 2] >> (4 * UInt8(i % 2))) & 15
                    return Float(dtype == .int4 && nib >= 8 ? nib - 16 : nib)
                }
            }
        }
    }

    /// IEEE 754 binary16 bits to Float (exact: every half is a float).
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = Int(h >> 10) & 0x1F
        let mant = UInt32(h & 0x3FF)
        if exp == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | mant << 13) }
        if exp == 0 {
            let v = Float(mant) * 0x1p-24
            return sign != 0 ? -v : v
        }
        return Float(bitPattern: sign | UInt32(exp + 112) << 23 | mant << 13)
    }
}
