import PareBasics

/// One item of `overrides:`.
struct PartialOverride: Sendable {
    var location: SourceLocation
    var match: Located<[Glob]>?
    var weights: PartialWeights?
    var skip: Located<Bool>?
    /// Whether `match` was written but rejected (already reported).
    var invalidMatch = false
}
