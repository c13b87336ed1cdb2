/// The resolved configuration of a `quantize` pass.
public struct QuantizeConfig: Sendable, Hashable, Codable {
    /// The tensors to quantize.
    public var selection: TensorSelection
    /// The scheme for selected tensors that no override decides.
    public var weights: WeightQuantSpec
    /// Per-name exceptions, in the order written; the last matching one wins.
    public var overrides: [QuantOverride]
    /// `activations:` — nil: weight-only (the default).
    public var activations: ActivationsSetting?
    /// `fallback:` — nil: no fallback.
    public var fallback: FallbackSpec?
    /// `requantize:` — default false: weights an earlier `palettize` encoded are left alone; true re-quantizes the
    /// selected ones from their look-up-table values.
    public var requantize: Bool = false

    enum CodingKeys: String, CodingKey { case selection, weights, overrides, activations, fallback, requantize }

    /// `requantize` is written only when true, so the cache keys of existing recipes do not change.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(selection, forKey: .selection)
        try c.encode(weights, forKey: .weights)
        try c.encode(overrides, forKey: .overrides)
        try c.encodeIfPresent(activations, forKey: .activations)
        try c.encodeIfPresent(fallback, forKey: .fallback)
        if requantize { try c.encode(requantize, forKey: .requantize) }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(selection: try c.decode(TensorSelection.self, forKey: .selection), weights: try c.decode(WeightQuantSpec.self, forKey: .weights),
                  overrides: try c.decode([QuantOverride].self, forKey: .overrides),
                  activations: try c.decodeIfPresent(ActivationsSetting.self, forKey: .activations),
                  fallback: try c.decodeIfPresent(FallbackSpec.self, forKey: .fallback))
        requantize = try c.decodeIfPresent(Bool.self, forKey: .requantize) ?? false
    }

    /// A quantize config; defaults are those of a bare `- quantize` pass.
    public init(selection: TensorSelection = TensorSelection(), weights: WeightQuantSpec = WeightQuantSpec(),
                overrides: [QuantOverride] = [], activations: ActivationsSetting? = nil, fallback: FallbackSpec? = nil) {
        self.selection = selection
        self.weights = weights
        self.overrides = overrides
        self.activations = activations
        self.fallback = fallback
    }

    /// The scheme for one tensor: the last matching override wins; nil when an override says skip.
    /// Does not consult `selection`: call it for tensors the selection already selects.
    public func scheme(for name: String) -> WeightQuantSpec? {
        guard let i = overrideIndex(for: name) else { return weights }
        return overrides[i].skip ? nil : overrides[i].weights
    }

    /// Index into `overrides` of the override that decides `name`, if any (for locating errors).
    public func overrideIndex(for name: String) -> Int? {
        overrides.lastIndex { $0.matches(name) }
    }
}
