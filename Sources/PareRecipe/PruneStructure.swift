/// What a `prune` pass removes.
public enum PruneStructure: String, Sendable, Hashable, Codable, CaseIterable {
    /// Single weights are set to zero (unstructured or N:M); shapes stay.
    case weights
    /// Whole output channels (Conv filters, Gemm / MatMul columns) are removed and the graph is rewritten so that
    /// their consumers shrink too.
    case channels
}

/// How structured pruning ranks channels.
public enum PruneImportance: String, Sendable, Hashable, Codable, CaseIterable {
    /// Sum of |w| of the channel's weights (over every producer of a shared channel space).
    case l1
    /// Euclidean norm of the channel's weights.
    case l2
    /// Mean |activation| of the channel on the calibration data (needs `data.calibration`).
    case activation
}
