import PareBasics

/// One entry of a quantize pass's `overrides`: a different scheme (or none) for tensors matching `match`.
public struct QuantOverride: Sendable, Hashable, Codable {
    /// Tensor-name globs; the override applies to a tensor matching any of them.
    public var match: [Glob]
    /// The override's `weights` merged over the pass's `weights` (complete).
    public var weights: WeightQuantSpec
    /// True: matching tensors are left unquantized.
    public var skip: Bool

    /// An override; `weights` must already be merged over the pass's scheme.
    public init(match: [Glob], weights: WeightQuantSpec, skip: Bool = false) {
        self.match = match
        self.weights = weights
        self.skip = skip
    }

    /// Whether the override applies to a tensor name.
    public func matches(_ name: String) -> Bool { match.contains { $0.matches(name) } }
}
