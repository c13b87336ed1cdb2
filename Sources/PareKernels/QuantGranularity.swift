/// How many elements share one scale and zero point.
///
/// The weight is viewed as a rows × cols matrix (rows = output channels = first dimension, cols = product of
/// the other dimensions).
public enum QuantGranularity: Sendable, Hashable {
    /// One scale for the whole tensor.
    case perTensor
    /// One scale per row (output channel).
    case perChannel
    /// Each row is split into cols / G blocks of G consecutive elements, one scale per block.
    /// The caller guarantees G > 0 and cols % G == 0.
    case perGroup(Int)
}
