/// A Python literal as found in a `.npy` header: `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
///
/// The grammar read (what `repr` of a dict of these produces, as numpy writes it): strings in single or double
/// quotes (backslash escapes kept verbatim after the backslash), `True`, `False`, `None`, decimal integers with
/// an optional sign and an optional Python 2 `L` suffix, tuples `( … )` (with `(3,)` for one element), lists
/// `[ … ]` and dicts `{ key: value, … }`, with optional trailing commas and ASCII white space. Nesting is
/// limited to `NPYLiteral.maxDepth` levels; integers must fit in `Int`.
indirect enum NPYLiteral: Equatable {
    case string(String)
    case bool(Bool)
    case none
    case int(Int)
    case tuple([NPYLiteral])
    case list([NPYLiteral])
    case dict([(String, NPYLiteral)])

    static let maxDepth = 16

    static func == (a: NPYLiteral, b: NPYLiteral) -> Bool {
        switch (a, b) {
        case let (.string(x), .string(y)): return x == y
        case let (.bool(x), .bool(y)): return x == y
        case (.none, .none): return true
        case let (.int(x), .int(y)): return x == y
        case let (.tuple(x), .tuple(y)), let (.list(x), .list(y)): return x == y
        case let (.dict(x), .dict(y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// A short description of the kind of value, for error messages.
    var kind: String {
        switch self {
        case .string: return "a string"
        case .bool: return "a boolean"
        case .none: return "None"
        case .int: return "an integer"
        case .tuple: return "a tuple"
        case .list: return "a list"
        case .dict: return "a dict"
        }
    }

    /// Parses exactly one literal from `text` (surrounding white space allowed).
    /// - Throws: `NPYLiteral.ParseError` saying what was expected at which character offset.
    static func parse(_ text: String) throws -> NPYLiteral {
        var p = NPYLiteralParser(Array(text.unicodeScalars))
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.atEnd else { throw p.error("unexpected text after the literal") }
        return v
    }

    struct ParseError: Error, CustomStringConvertible {
        var offset: Int
        var message: String
        var description: String { "\(message) at character \(offset)" }
    }
}
