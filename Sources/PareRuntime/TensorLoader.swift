import PareFormats
import PareKernels
import PareONNXProto
import PareTensor

/// Reads the model's constant tensors into `Tensor`s with `ONNXFile.withPayload` (the same lazy reader as
/// `pare inspect` and `pare diff`): float32 / float64 / float16 / bfloat16 become Float values, every integer type
/// and bool Int64 values (int4 / uint4 unpacked over the flat element order, low nibble first).
enum TensorLoader {
    static func read(_ file: ONNXFile, _ t: ONNXTensorRef) throws -> Tensor {
        let shape = t.shape.dims
        let count = t.shape.elementCount ?? 0
        return try file.withPayload(t) { raw -> Tensor in
            switch t.dtype {
            case .float32:
                return Tensor(floats: (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }, shape: shape)
            case .float64:
                return Tensor(floats: (0..<count).map { Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)))) },
                              shape: shape, dtype: .float64)
            case .float16, .bfloat16:
                let halves = (0..<count).map { UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) }
                let f = halves.withUnsafeBufferPointer { t.dtype == .float16 ? HalfPrecision.fromFloat16($0) : HalfPrecision.fromBFloat16($0) }
                return Tensor(dtype: t.dtype, shape: shape, storage: .float(f))
            default:
                let out = ONNXIntegerPayload.decode(raw, dtype: t.dtype, count: count)
                return Tensor(ints: out, shape: shape, dtype: t.dtype == .bool ? .bool : t.dtype)
            }
        }
    }

    /// The value of a `Constant` node given by a scalar or list attribute (value_float, value_floats, value_int,
    /// value_ints); nil when the node has none of them (its `value` tensor is indexed by `ONNXFile`).
    static func constantAttribute(_ n: Onnx_NodeProto) -> Tensor? {
        for a in n.attribute {
            switch a.name {
            case "value_float": return Tensor(floats: [a.f], shape: [])
            case "value_floats": return Tensor(floats: a.floats, shape: [a.floats.count])
            case "value_int": return Tensor(ints: [a.i], shape: [])
            case "value_ints": return Tensor(ints: a.ints, shape: [a.ints.count])
            default: continue
            }
        }
        return nil
    }
}
