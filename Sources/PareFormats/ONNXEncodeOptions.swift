/// Options of ``ONNXEncoder/encode(_:weights:options:)``.
public struct ONNXEncodeOptions: Sendable, Hashable {
    /// Replace MatMul nodes whose weight is int4/uint4 per-group along K by `com.microsoft.MatMulNBits` (ONNX
    /// Runtime only) instead of DequantizeLinear + MatMul.
    public var allowMatMulNBits: Bool
    /// Convert the whole model to float16 compute: graph inputs, outputs, activations and every float weight
    /// become FLOAT16 (float16 weights are stored without a Cast, quantization scales are FLOAT16). When false,
    /// the graph's inputs and outputs stay float32 and float16 weights are cast back to float32.
    public var keepFloat16Compute: Bool = false
    /// The ai.onnx opset to write. nil: keep the model's opset unless an encoding needs a newer one (then the
    /// model is upgraded, or the weight falls back to an encoding the opset supports). A value lower than the
    /// model's opset is an error.
    public var targetOpset: Int?
    /// How to name the model in errors (usually its file path).
    public var modelName: String = "model"
    /// Activations to quantize statically (QuantizeLinear → DequantizeLinear after each); empty = none. Needs
    /// opset 10 (8-bit) or 21 (16-bit); the model is upgraded, or the encode fails.
    public var activations: [ONNXActivationQuant] = []
    /// With static `activations`: the float bias of a Conv / Gemm whose input is a quantized activation and whose
    /// weight is an 8-bit per-tensor / per-output-channel DequantizeLinear weight becomes int32
    /// `round(b / (s_x · s_w))` + DequantizeLinear (what ONNX Runtime's quantize_static writes).
    public var quantizeBiases: Bool = true
    /// The dynamic form: MatMul / Gemm / Conv nodes whose weight is an 8-bit per-tensor or per-output-channel
    /// quantized weight become DynamicQuantizeLinear + MatMulInteger / ConvInteger + Cast + Mul (as ONNX
    /// Runtime's quantize_dynamic writes). Needs opset 11. Exclusive with `activations`.
    public var dynamicActivations: Bool = false

    public init(allowMatMulNBits: Bool = false, keepFloat16Compute: Bool = false, targetOpset: Int? = nil,
                modelName: String = "model") {
        self.allowMatMulNBits = allowMatMulNBits
        self.keepFloat16Compute = keepFloat16Compute
        self.targetOpset = targetOpset
        self.modelName = modelName
    }
}
