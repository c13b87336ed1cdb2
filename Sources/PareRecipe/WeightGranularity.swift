/// How many quantization parameters (scale, zero point) a weight tensor gets.
public enum WeightGranularity: String, Sendable, Hashable, Codable, CaseIterable {
    /// One scale for the whole tensor.
    case perTensor = "per-tensor"
    /// One scale per output channel (the first dimension).
    case perChannel = "per-channel"
    /// One scale per run of `group` consecutive values along the last dimension, within each output channel.
    case perGroup = "per-group"
}
