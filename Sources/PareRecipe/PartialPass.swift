import PareBasics

/// One layer of a pass's configuration as written (a `passes` item, or a per_target entry merged over it):
/// every field optional and located. `PassResolver` merges layers and fills defaults.
struct PartialPass: Sendable {
    var name: String
    var location: SourceLocation
    var id: Located<String>?
    var selection = PartialSelection()
    var weights: PartialWeights?
    var overrides: Located<[PartialOverride]>?
    var activations: Located<ActivationsSetting>?
    var fallback: Located<FallbackSpec>?
    var requantize: Located<Bool>?
    var castDType: Located<CastDType>?
    var castCompute: Located<CastCompute>?
    var method: Located<String>?
    var sparsity: Located<Double>?
    var scope: Located<PruneScope>?
    var pattern: Located<NMPattern>?
    /// The other keys of the newer passes (fold, palettize, lowrank, distill, gptq, mixed-precision, and prune's
    /// channel keys) as written; `PassResolver+Catalog` reads them after merging layers (topmost key wins).
    var raw: [String: YAMLEntry] = [:]
    /// Keys that were written but whose value was rejected (already reported), so that no "missing key"
    /// error follows from them.
    var invalidKeys: Set<String> = []

    init(name: String, location: SourceLocation) {
        self.name = name
        self.location = location
    }
}
