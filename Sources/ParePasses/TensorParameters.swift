import PareKernels
import PareRecipe

/// What a pass does to one tensor, fully resolved. Hashed into the tensor-level cache key, so a tensor is
/// recomputed exactly when its input or these parameters change.
public enum TensorParameters: Sendable, Hashable, Codable {
    /// Quantize with this scheme; `axis` is the tensor axis holding output channels (the rows of the matrix view).
    case quantize(WeightQuantSpec, axis: Int)
    case cast(CastDType)
    case pruneMagnitude(sparsity: Double)
    case pruneGlobal(threshold: Float, ties: Int)
    case pruneNM(NMPattern)
    /// Palettize to 2^bits table entries per tensor (groupChannels 0) or per `groupChannels` output channels of
    /// `axis`, with `iterations` Lloyd steps from the k-means++ start seeded by `seed`.
    case palettize(bits: Int, groupChannels: Int, iterations: Int, seed: UInt64, axis: Int)
}
