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
