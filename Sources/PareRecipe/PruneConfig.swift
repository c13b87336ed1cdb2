/// The resolved configuration of a `prune` pass. Exactly one of `sparsity` and `pattern` is set.
public struct PruneConfig: Sendable, Hashable, Codable {
    /// The tensors to prune.
    public var selection: TensorSelection
    /// Only `"magnitude"`: zero the weights with the smallest |w|.
    public var method: String
    /// Unstructured: the fraction of weights to zero, in (0, 1).
    public var sparsity: Double?
    /// For `sparsity`: per tensor or one global threshold. `per-tensor` when `pattern` is set.
    public var scope: PruneScope
    /// Structured N:M sparsity.
    public var pattern: NMPattern?

    /// The prune methods this version knows.
    public static let methods = ["magnitude"]

    /// A prune config; set exactly one of `sparsity` and `pattern`.
    public init(selection: TensorSelection = TensorSelection(), method: String = "magnitude",
                sparsity: Double? = nil, scope: PruneScope = .perTensor, pattern: NMPattern? = nil) {
        self.selection = selection
        self.method = method
        self.sparsity = sparsity
        self.scope = scope
        self.pattern = pattern
    }
}
