/// How each activation's quantization range is chosen from its calibration histogram (`activations.method`);
/// the kernels are `PareKernels.RangeMethod`.
public enum ActivationRangeChoice: String, Sendable, Hashable, Codable, CaseIterable {
    /// Observed min and max.
    case minmax
    /// Keep `percentile` % of the values inside the range.
    case percentile
    /// TensorRT's KL-divergence threshold.
    case entropy
    /// Smallest expected squared error (clipping + rounding) — the default.
    case mse
}
