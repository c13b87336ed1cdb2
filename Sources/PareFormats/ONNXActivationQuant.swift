import PareONNXProto

/// One activation to quantize statically (a graph input or a node output of the main graph, float32): the encoder
/// inserts `QuantizeLinear(X, X_scale, X_zero_point) → X_quantized` and `DequantizeLinear(X_quantized, …)`, and
/// every node that read X reads the dequantized value (see ``ONNXEncoder/encode(_:weights:options:)`` and
/// docs/onnx-encodings.md, "Activations").
///
/// Quantization (what the graph computes): `q = saturate(round_half_even(x / scale) + zeroPoint)`,
/// `x̂ = (q − zeroPoint) · scale`, per tensor.
public struct ONNXActivationQuant: Sendable, Hashable, Codable {
    /// The value's name in the main graph.
    public var name: String
    /// "uint8", "int8", "uint16" or "int16".
    public var dtype: String
    /// Finite and > 0.
    public var scale: Float
    /// In the dtype's range.
    public var zeroPoint: Int32

    public init(name: String, dtype: String, scale: Float, zeroPoint: Int32) {
        self.name = name
        self.dtype = dtype
        self.scale = scale
        self.zeroPoint = zeroPoint
    }

    /// The dtypes pare writes for activations.
    public static let dtypes = ["uint8", "int8", "uint16", "int16"]

    /// The code range of `dtype` (nil for an unknown dtype).
    public var codeRange: ClosedRange<Int32>? {
        switch dtype {
        case "uint8": return 0...255
        case "int8": return -128...127
        case "uint16": return 0...65535
        case "int16": return -32768...32767
        default: return nil
        }
    }

    /// The lowest ai.onnx opset whose QuantizeLinear / DequantizeLinear accept `dtype` per tensor: 10 for 8-bit
    /// types, 21 for 16-bit ones.
    public var minimumOpset: Int { dtype.hasSuffix("16") ? 21 : 10 }

    /// The ONNX element type of the codes.
    var onnxType: Int32 {
        switch dtype {
        case "uint8": return ONNXEncodeProto.uint8
        case "int8": return ONNXEncodeProto.int8
        case "uint16": return ONNXEncodeProto.uint16
        default: return ONNXEncodeProto.int16
        }
    }

    /// The 0-d zero-point tensor (little-endian, of `onnxType`).
    var zeroPointTensor: Onnx_TensorProto {
        var raw: [UInt8] = []
        if dtype.hasSuffix("16") {
            ONNXEncodeProto.appendLE(UInt16(truncatingIfNeeded: zeroPoint), to: &raw)
        } else {
            raw.append(UInt8(truncatingIfNeeded: zeroPoint))
        }
        return ONNXEncodeProto.tensor(type: onnxType, dims: [], raw: raw)
    }

    /// Checks the dtype, the scale (finite, > 0) and the zero point (in range); the error names `file` and the
    /// activation.
    public func validate(file: String) throws {
        func fail(_ m: String) -> FormatError { FormatError(file: file, tensor: name, message: m) }
        guard let range = codeRange else {
            throw fail("activation dtype '\(dtype)' is not one of \(Self.dtypes.joined(separator: ", "))")
        }
        guard scale.isFinite, scale > 0 else {
            throw fail("activation scale is \(scale); it must be finite and positive")
        }
        guard range.contains(zeroPoint) else {
            throw fail("activation zero point \(zeroPoint) is outside the \(dtype) range \(range.lowerBound)...\(range.upperBound)")
        }
    }
}
