import PareBasics

/// The tensor-selection keys of one layer.
struct PartialSelection: Sendable {
    var include: Located<[Glob]>?
    var exclude: Located<[Glob]>?
    var minElements: Located<Int>?
    var keep1D: Located<Bool>?
}
