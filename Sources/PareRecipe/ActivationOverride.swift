import PareBasics

/// One entry of `activations.overrides`: activations whose value name matches one of `match` get `precision`.
public struct ActivationOverride: Sendable, Hashable, Codable {
    public var match: [Glob]
    public var precision: ActivationPrecision

    public init(match: [Glob], precision: ActivationPrecision) {
        self.match = match
        self.precision = precision
    }

    public func matches(_ name: String) -> Bool { match.contains { $0.matches(name) } }
}
