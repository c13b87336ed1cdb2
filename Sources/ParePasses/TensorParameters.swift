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
}
