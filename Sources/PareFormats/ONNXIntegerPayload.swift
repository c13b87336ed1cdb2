import PareTensor

/// Decoding of ONNX tensor payloads of integer and bool types into Int64 values.
public enum ONNXIntegerPayload {
    /// The `count` elements of a little-endian raw payload of `dtype` as Int64: int8 / uint8 / bool, int16 / uint16,
    /// int32 / uint32, int64 / uint64 (uint64 by bit pattern), and int4 / uint4 unpacked over the flat element order
    /// (first element in the low nibble, int4 sign-extended). Other types give zeros. The caller guarantees `raw`
    /// holds at least the bytes `count` elements need.
    public static func decode(_ raw: UnsafeRawBufferPointer, dtype: DType, count: Int) -> [Int64] {
        var out = [Int64](repeating: 0, count: count)
        for i in 0..<count {
            switch dtype {
            case .int8: out[i] = Int64(Int8(bitPattern: raw[i]))
            case .uint8, .bool: out[i] = Int64(raw[i])
            case .int16: out[i] = Int64(Int16(bitPattern: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian))
            case .uint16: out[i] = Int64(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian)
            case .int32: out[i] = Int64(Int32(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian))
            case .uint32: out[i] = Int64(raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian)
            case .int64, .uint64: out[i] = Int64(bitPattern: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self).littleEndian)
            case .int4, .uint4:
                let byte = raw[i / 2]
                let nibble = i % 2 == 0 ? byte & 0x0F : byte >> 4
                out[i] = dtype == .int4 ? Int64(Int8(bitPattern: nibble << 4) >> 4) : Int64(nibble)
            default: break
            }
        }
        return out
    }
}
