/// The recursive-descent parser behind `NPYLiteral.parse` (grammar documented there).
struct NPYLiteralParser {
    private let s: [Unicode.Scalar]
    private var i = 0

    init(_ scalars: [Unicode.Scalar]) { s = scalars }

    var atEnd: Bool { i >= s.count }

    func error(_ message: String) -> NPYLiteral.ParseError { NPYLiteral.ParseError(offset: i, message: message) }

    mutating func skipSpace() {
        while i < s.count, s[i] == " " || s[i] == "\t" || s[i] == "\n" || s[i] == "\r" { i += 1 }
    }

    mutating func value(depth: Int) throws -> NPYLiteral {
        guard depth < NPYLiteral.maxDepth else { throw error("literal nested more than \(NPYLiteral.maxDepth) levels deep") }
        skipSpace()
        guard i < s.count else { throw error("expected a value but the header ends") }
        switch s[i] {
        case "'", "\"": return .string(try string())
        case "(": return .tuple(try sequence(close: ")", depth: depth))
        case "[": return .list(try sequence(close: "]", depth: depth))
        case "{": return try dict(depth: depth)
        case "-", "+", "0"..."9": return .int(try integer())
        default:
            for (word, v) in [("True", NPYLiteral.bool(true)), ("False", .bool(false)), ("None", .none)] where matches(word) {
                i += word.unicodeScalars.count
                return v
            }
            throw error("unexpected character '\(s[i].escaped(asASCII: true))'")
        }
    }

    private func matches(_ word: String) -> Bool {
        let w = Array(word.unicodeScalars)
        guard i + w.count <= s.count, Array(s[i..<i + w.count]) == w else { return false }
        // The word must not continue as an identifier (e.g. `Trueish`).
        if i + w.count < s.count, s[i + w.count].properties.isAlphabetic || s[i + w.count] == "_" { return false }
        return true
    }

    private mutating func string() throws -> String {
        let quote = s[i]
        i += 1
        var out = String.UnicodeScalarView()
        while i < s.count {
            let c = s[i]
            if c == quote { i += 1; return String(out) }
            if c == "\\" {
                guard i + 1 < s.count else { break }
                out.append(s[i + 1])
                i += 2
                continue
            }
            if c == "\n" { throw error("line break inside a string") }
            out.append(c)
            i += 1
        }
        throw error("unterminated string")
    }

    private mutating func integer() throws -> Int {
        let start = i
        var negative = false
        if s[i] == "-" || s[i] == "+" { negative = s[i] == "-"; i += 1 }
        var v = 0
        var digits = 0
        while i < s.count, (48...57).contains(s[i].value) {
            let d = Int(s[i].value - 48)
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(d)
            if o1 || o2 { i = start; throw error("integer too large") }
            v = a
            digits += 1
            i += 1
        }
        guard digits > 0 else { i = start; throw error("expected digits") }
        if i < s.count, s[i] == "L" || s[i] == "l" { i += 1 }
        return negative ? -v : v
    }

    private mutating func sequence(close: Unicode.Scalar, depth: Int) throws -> [NPYLiteral] {
        i += 1
        var items: [NPYLiteral] = []
        while true {
            skipSpace()
            guard i < s.count else { throw error("expected '\(close)' but the header ends") }
            if s[i] == close { i += 1; return items }
            items.append(try value(depth: depth + 1))
            skipSpace()
            guard i < s.count else { throw error("expected '\(close)' but the header ends") }
            if s[i] == "," { i += 1; continue }
            guard s[i] == close else { throw error("expected ',' or '\(close)'") }
        }
    }

    private mutating func dict(depth: Int) throws -> NPYLiteral {
        i += 1
        var items: [(String, NPYLiteral)] = []
        while true {
            skipSpace()
            guard i < s.count else { throw error("expected '}' but the header ends") }
            if s[i] == "}" { i += 1; return .dict(items) }
            guard s[i] == "'" || s[i] == "\"" else { throw error("expected a quoted dict key") }
            let key = try string()
            skipSpace()
            guard i < s.count, s[i] == ":" else { throw error("expected ':' after the key '\(key)'") }
            i += 1
            items.append((key, try value(depth: depth + 1)))
            skipSpace()
            guard i < s.count else { throw error("expected '}' but the header ends") }
            if s[i] == "," { i += 1; continue }
            guard s[i] == "}" else { throw error("expected ',' or '}'") }
        }
    }
}
