import PareBasics

/// One `key: value` pair of a mapping.
struct YAMLEntry: Sendable, Hashable {
    var key: String
    var keyLocation: SourceLocation
    var value: YAMLNode
}
