/// How one weight of an ONNX model is to be stored (the input of ``ONNXEncoder/encode(_:weights:options:)``).
public enum ONNXWeightEncoding: Sendable {
    /// Integer codes, scales and zero points in pare's matrix view, plus the axis used (see
    /// ``ONNXQuantizedWeight``): written as DequantizeLinear (or MatMulNBits, or a Cast/Mul fallback).
    case quantized(ONNXQuantizedWeight)
    /// IEEE binary16 bit patterns in the original layout: a FLOAT16 initializer (+ `Cast` to FLOAT unless the
    /// model is converted to float16 compute).
    case float16([UInt16])
    /// bfloat16 bit patterns in the original layout: a BFLOAT16 initializer + `Cast` (needs opset 13).
    case bfloat16([UInt16])
    /// New float32 values for the same tensor (same shape and type), e.g. pruned weights.
    case float32Replaced([Float])
    /// A look-up table and bits-wide indices (see ``ONNXPalettizedWeight``): written as UINT8 index planes,
    /// integer unpacking ops and a `Gather` from the table (needs opset 13).
    case palettized(ONNXPalettizedWeight)
}
