import PareBasics

/// A `weights:` mapping of one layer (pass, override or per_target).
struct PartialWeights: Sendable {
    var location: SourceLocation
    var dtype: Located<WeightDType>?
    var granularity: Located<WeightGranularity>?
    var group: Located<Int>?
    var symmetric: Located<Bool>?
    var fit: Located<WeightFit>?
}
