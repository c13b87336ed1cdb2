/// A metric a gate can bound. Every metric compares the compressed model with the float source model on the
/// evaluation set, except `accuracy` (against labels) and `size_mb` (the bundle's model bytes).
public enum GateMetric: String, Sendable, Hashable, Codable, CaseIterable {
    /// Mean over samples and outputs of the cosine similarity between float and compressed outputs.
    case cosineMean = "cosine_mean"
    /// Smallest per-sample output cosine.
    case cosineMin = "cosine_min"
    /// Signal-to-quantization-noise ratio of the outputs, dB: 10·log10(Σx² / Σ(x − x̂)²).
    case sqnrDB = "sqnr_db"
    /// Largest |x − x̂| over all outputs.
    case maxAbsError = "max_abs_error"
    /// Fraction of rows (over the last axis of the first output) whose argmax agrees.
    case top1Agreement = "top1_agreement"
    /// Fraction of samples whose first output's argmax equals the label (needs labels).
    case accuracy
    /// The bundle's model file(s), in MB (10^6 bytes).
    case sizeMB = "size_mb"

    /// Whether the metric has a meaningful value for the float model, so `relative: true` is allowed.
    public var allowsRelative: Bool { self == .accuracy || self == .sizeMB }
    /// Whether computing it needs the evaluation data set.
    public var needsEvaluation: Bool { self != .sizeMB }
}
