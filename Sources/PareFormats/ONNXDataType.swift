import PareTensor

/// ONNX `TensorProto.DataType` codes and how pare maps them to `DType`.
///
/// Supported: FLOAT (1), UINT8 (2), INT8 (3), UINT16 (4), INT16 (5), INT32 (6), INT64 (7), BOOL (9),
/// FLOAT16 (10), DOUBLE (11), UINT32 (12), UINT64 (13), BFLOAT16 (16), UINT4 (21), INT4 (22). INT4 / UINT4
/// are packed two per byte, first element in the low nibble — the same layout as pare's `DType.int4`.
/// Everything else (STRING, complex, the float8 / float4 / float6 families, 2-bit types) is rejected with an
/// error naming the tensor.
public enum ONNXDataType {
    /// The `DType` for an ONNX data type code, or nil when pare does not handle it.
    public static func dtype(code: Int) -> DType? {
        switch code {
        case 1: return .float32
        case 2: return .uint8
        case 3: return .int8
        case 4: return .uint16
        case 5: return .int16
        case 6: return .int32
        case 7: return .int64
        case 9: return .bool
        case 10: return .float16
        case 11: return .float64
        case 12: return .uint32
        case 13: return .uint64
        case 16: return .bfloat16
        case 21: return .uint4
        case 22: return .int4
        default: return nil
        }
    }

    /// The ONNX data type code of a `DType`.
    public static func code(of dtype: DType) -> Int {
        switch dtype {
        case .float32: return 1
        case .uint8: return 2
        case .int8: return 3
        case .uint16: return 4
        case .int16: return 5
        case .int32: return 6
        case .int64: return 7
        case .bool: return 9
        case .float16: return 10
        case .float64: return 11
        case .uint32: return 12
        case .uint64: return 13
        case .bfloat16: return 16
        case .uint4: return 21
        case .int4: return 22
        }
    }

    /// The ONNX enum name of a code, for messages (`"STRING"`, `"FLOAT8E4M3FN"`, ...).
    public static func name(code: Int) -> String {
        let names = ["UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING", "BOOL",
                     "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16",
                     "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4",
                     "FLOAT4E2M1", "FLOAT8E8M0", "UINT2", "INT2", "FLOAT6E2M3", "FLOAT6E3M2"]
        return code >= 0 && code < names.count ? names[code] : "unknown (\(code))"
    }

    /// The typed `TensorProto` field that may hold values of `dtype` when `raw_data` is not used:
    /// float_data (4), int32_data (5), int64_data (7), double_data (10) or uint64_data (11).
    static func typedField(for dtype: DType) -> Int {
        switch dtype {
        case .float32: return 4
        case .float64: return 10
        case .int64: return 7
        case .uint32, .uint64: return 11
        case .int32, .int16, .int8, .uint16, .uint8, .bool, .float16, .bfloat16, .int4, .uint4: return 5
        }
    }

    /// The name of a typed data field number.
    static func typedFieldName(_ number: Int) -> String {
        switch number {
        case 4: return "float_data"
        case 5: return "int32_data"
        case 6: return "string_data"
        case 7: return "int64_data"
        case 10: return "double_data"
        case 11: return "uint64_data"
        default: return "field \(number)"
        }
    }
}
