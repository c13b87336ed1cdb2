/// A JSON value as read from an untrusted header. Objects keep their keys in file order (duplicates included, so
/// callers can report them) and numbers keep their text, so integers are read exactly and overflow is detected.
enum JSONValue: Equatable {
    case object([Member])
    case array([JSONValue])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    struct Member: Equatable {
        var key: String
        var value: JSONValue
    }

    /// How a JSON number reads as a non-negative `Int`.
    enum IntegerReading: Equatable {
        case value(Int)
        /// A negative integer (e.g. `-3`).
        case negative
        /// A number with a fraction or exponent (e.g. `4.0`, `1e3`): safetensors wants plain integers.
        case notInteger
        /// An integer larger than `Int.max`.
        case tooLarge
    }

    /// "an object", "a string", … for error messages.
    var kindName: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }

    /// The value as a non-negative integer, or nil when it is not a number.
    var nonNegativeInteger: IntegerReading? {
        guard case .number(let text) = self else { return nil }
        var digits = Substring(text)
        var negative = false
        if digits.first == "-" { negative = true; digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= "0" && $0 <= "9" }) else { return .notInteger }
        if negative { return digits.allSatisfy { $0 == "0" } ? .value(0) : .negative }
        var n = 0
        for c in digits.utf8 {
            let (m, o1) = n.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int(c - 48))
            if o1 || o2 { return .tooLarge }
            n = a
        }
        return .value(n)
    }

    /// The text of a number, a string's value quoted, or the kind name: for quoting a bad value in a message.
    var shortDescription: String {
        switch self {
        case .number(let t): return t
        case .string(let s): return "\"" + (s.count > 40 ? String(s.prefix(40)) + "…" : s) + "\""
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array, .object: return kindName
        }
    }
}
