/// The resolved configuration of a `lowrank` pass: Gemm / MatMul weights become two thinner products (truncated
/// SVD), Conv kernels three convolutions (Tucker-2), wherever that makes the layer smaller and cheaper.
public struct LowRankConfig: Sendable, Hashable, Codable {
    /// How the rank of each weight is chosen. Exactly one is written in a recipe.
    public enum RankRule: Sendable, Hashable, Codable {
        /// The same rank r for every selected matrix (and r for both Tucker-2 ranks of a Conv kernel).
        case rank(Int)
        /// r = ceil(ratio · min(rows, cols)), ratio in (0, 1].
        case ratio(Double)
        /// The smallest r whose singular values keep at least this fraction of the squared Frobenius norm, (0, 1].
        case energy(Double)
    }

    /// The weights to factorize (Gemm / MatMul weights and, with `conv`, Conv kernels).
    public var selection: TensorSelection
    /// The rank rule.
    public var rule: RankRule
    /// Whether Conv kernels are factorized too (Tucker-2). Default true.
    public var conv: Bool
    /// `round_to`: every rank the rule gives is rounded up to a multiple of this (capped at the full rank), e.g. 32
    /// so that a later per-group quantization with groups of 32 divides the factors. Default 1.
    public var roundTo: Int

    enum CodingKeys: String, CodingKey {
        case selection, rule, conv
        case roundTo = "round_to"
    }

    /// A lowrank config.
    public init(selection: TensorSelection = TensorSelection(), rule: RankRule, conv: Bool = true, roundTo: Int = 1) {
        self.selection = selection
        self.rule = rule
        self.conv = conv
        self.roundTo = roundTo
    }
}
