/// A scalar's text and the type YAML's core schema resolves it to (quoted scalars are always strings).
struct YAMLScalar: Sendable, Hashable {
    enum Kind: Sendable, Hashable { case null, bool, int, float, string }
    var text: String
    var kind: Kind
    var int: Int?
    var double: Double?
    var bool: Bool?
}
