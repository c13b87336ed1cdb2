/// What an ONNX model computes in after a `cast` pass.
public enum CastCompute: String, Sendable, Hashable, Codable, CaseIterable {
    /// Weights are stored in 16 bits and cast back: graph inputs, outputs and arithmetic stay float32 (default).
    case float32
    /// The whole graph computes in float16: inputs, outputs, weights and intermediate values (ONNX models only;
    /// the target must list fp16 among its activation dtypes).
    case float16
}
