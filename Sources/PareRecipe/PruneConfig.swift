/// The resolved configuration of a `prune` pass.
///
/// `structure: weights` (the default): exactly one of `sparsity` and `pattern` is set. `structure: channels`:
/// `sparsity` is the fraction of channels removed from each prunable channel space, ranked by `importance`, and
/// the number kept is rounded up to a multiple of `roundTo`.
public struct PruneConfig: Sendable, Hashable, Codable {
    /// The tensors to prune (for channels: the producers' weights).
    public var selection: TensorSelection
    /// Only `"magnitude"`: zero the weights with the smallest |w| (weights), or the channels of least importance.
    public var method: String
    /// Unstructured: the fraction of weights to zero, in (0, 1). Channels: the fraction of channels removed.
    public var sparsity: Double?
    /// For `sparsity`: per tensor or one global threshold. `per-tensor` when `pattern` is set.
    public var scope: PruneScope
    /// Structured N:M sparsity.
    public var pattern: NMPattern?
    /// What is removed. Default `weights`.
    public var structure: PruneStructure
    /// Channels: how channels are ranked. Default `l1`.
    public var importance: PruneImportance
    /// Channels: the kept count is a multiple of this (≥ 1, default 1), hardware-friendly widths.
    public var roundTo: Int

    /// The prune methods this version knows.
    public static let methods = ["magnitude"]

    /// A prune config; set exactly one of `sparsity` and `pattern`.
    public init(selection: TensorSelection = TensorSelection(), method: String = "magnitude",
                sparsity: Double? = nil, scope: PruneScope = .perTensor, pattern: NMPattern? = nil,
                structure: PruneStructure = .weights, importance: PruneImportance = .l1, roundTo: Int = 1) {
        self.selection = selection
        self.method = method
        self.sparsity = sparsity
        self.scope = scope
        self.pattern = pattern
        self.structure = structure
        self.importance = importance
        self.roundTo = roundTo
    }

    enum CodingKeys: String, CodingKey {
        case selection, method, sparsity, scope, pattern, structure, importance
        case roundTo = "round_to"
    }

    /// The channel fields are written only for `structure: channels`, so the cache keys of weight pruning do not
    /// change.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(selection, forKey: .selection)
        try c.encode(method, forKey: .method)
        try c.encodeIfPresent(sparsity, forKey: .sparsity)
        try c.encode(scope, forKey: .scope)
        try c.encodeIfPresent(pattern, forKey: .pattern)
        if structure == .channels {
            try c.encode(structure, forKey: .structure)
            try c.encode(importance, forKey: .importance)
            try c.encode(roundTo, forKey: .roundTo)
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(selection: try c.decode(TensorSelection.self, forKey: .selection), method: try c.decode(String.self, forKey: .method),
                  sparsity: try c.decodeIfPresent(Double.self, forKey: .sparsity), scope: try c.decode(PruneScope.self, forKey: .scope),
                  pattern: try c.decodeIfPresent(NMPattern.self, forKey: .pattern),
                  structure: try c.decodeIfPresent(PruneStructure.self, forKey: .structure) ?? .weights,
                  importance: try c.decodeIfPresent(PruneImportance.self, forKey: .importance) ?? .l1,
                  roundTo: try c.decodeIfPresent(Int.self, forKey: .roundTo) ?? 1)
    }
}
