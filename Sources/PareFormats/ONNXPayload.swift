import PareTensor

/// Where an indexed tensor's payload is stored.
enum ONNXPayload: Sendable {
    /// raw_data: `byteCount` bytes at `offset` of the model file.
    case raw(offset: Int)
    /// External data: `byteCount` bytes at `offset` of external file number `file`.
    case external(file: Int, offset: Int)
    /// Typed fields (float_data, int32_data, ...): pieces of the model file decoded on demand.
    case typed(pieces: [ONNXWireField])

    /// Decodes typed pieces into `out` (exactly the payload's byte count) as raw little-endian values:
    /// float_data and double_data are copied; varint fields are written as their low `width` bytes, two's
    /// complement, where width is the dtype's byte size (1 for int4 / uint4, whose int32_data entries each
    /// hold one packed byte). Narrowing truncates, as `onnx.numpy_helper.to_array` does.
    static func decodeTyped(_ pieces: [ONNXWireField], dtype: DType, from bytes: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) {
        let width = max(1, dtype.bits / 8)
        var o = 0
        for f in pieces {
            switch (f.number, f.wireType) {
            case (4, _), (10, _):
                // Fixed-size values, packed or not: the value bytes are the little-endian payload.
                let n = min(f.value.count, out.count - o)
                if n > 0 { out.baseAddress!.advanced(by: o).copyMemory(from: bytes.baseAddress!.advanced(by: f.valueStart), byteCount: n) }
                o += n
            case (_, ONNXWireType.varint):
                store(f.varint, width: width, out, &o)
            default:
                var p = f.valueStart
                while p < f.end, let (v, n) = try? ONNXWireReader.varint(in: bytes, at: p, end: f.end) {
                    store(v, width: width, out, &o)
                    p += n
                }
            }
        }
    }

    private static func store(_ v: UInt64, width: Int, _ out: UnsafeMutableRawBufferPointer, _ o: inout Int) {
        guard o + width <= out.count else { return }
        var v = v
        for i in 0..<width {
            out[o + i] = UInt8(truncatingIfNeeded: v)
            v >>= 8
        }
        o += width
    }
}
