import PareBasics

/// One entry of a recipe's `passes` list, resolved.
public struct PassSpec: Sendable, Hashable {
    /// 0-based position in `passes`.
    public var index: Int
    /// The pass id: `id:` if given, else the pass name, or `<name>-<n>` for the n-th (n ≥ 2) pass of that name.
    public var id: String
    /// The resolved configuration (defaults filled in).
    public var config: PassConfig
    /// The list item (where the pass name is written).
    public var location: SourceLocation
    /// Where each config field was written, by dotted path: "weights.group", "sparsity",
    /// "overrides[1].weights.dtype" (also "weights", "overrides", "overrides[1]" for the containers).
    /// For per_target-merged values, the location in per_target. Missing key = default value.
    public var fieldLocations: [String: SourceLocation]

    /// A pass spec as the loader produces it.
    public init(index: Int, id: String, config: PassConfig, location: SourceLocation,
                fieldLocations: [String: SourceLocation] = [:]) {
        self.index = index
        self.id = id
        self.config = config
        self.location = location
        self.fieldLocations = fieldLocations
    }

    /// The pass name (`quantize`, `cast`, `prune`).
    public var name: String { config.passName }

    /// The location of the first of `paths` that was written, else of the pass itself. Use it to point an error
    /// at the most specific place, e.g. `location(of: "weights.dtype", "weights")`.
    public func location(of paths: String...) -> SourceLocation {
        for p in paths { if let l = fieldLocations[p] { return l } }
        return location
    }

    /// `quantize` or `quantize 'q-attn'` when the id differs from the name, for messages.
    public var label: String { id == name ? name : "\(name) '\(id)'" }
}
