/// How a quantized weight's scales (and zero points) are chosen: `weights.fit` in a recipe.
public enum WeightFit: String, Sendable, Hashable, Codable, CaseIterable {
    /// Closed-form from each block's range (max |w|, or [min, max] including 0). The default: fast, and every
    /// value lies inside the quantization range.
    case minmax
    /// A least-squares search per block (per-channel and per-group only) that clips outliers when that lowers the
    /// squared error. Asymmetric weights get a fractional zero point, which MatMulNBits stores natively; other
    /// ONNX encodings then fall back to Cast/Sub/Mul with 8-bit codes, and exact zeros (pruned weights) are not
    /// kept. About 40× the quantization work of minmax, for 1–1.5 dB more weight SQNR at 4 bits.
    case mse
}
