/// Where a sparsity target applies when pruning by magnitude.
public enum PruneScope: String, Sendable, Hashable, Codable, CaseIterable {
    /// Each selected tensor loses `sparsity` of its weights.
    case perTensor = "per-tensor"
    /// One magnitude threshold over all selected tensors together, so that `sparsity` of all their weights go.
    case global
}
