/// Shell-style name patterns for tensor selection: `*` any run of characters, `?` one character,
/// `[abc]` / `[a-z]` / `[!a]` a character class. Matching is on the whole name, case-sensitive.
public struct Glob: Hashable, Sendable, Codable, CustomStringConvertible {
    public let pattern: String
    private let chars: [Character]

    public init(_ pattern: String) {
        self.pattern = pattern
        self.chars = Array(pattern)
    }

    public init(from decoder: Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(pattern)
    }

    public var description: String { pattern }

    public func matches(_ name: String) -> Bool {
        let s = Array(name)
        // Iterative matcher with backtracking on the last '*'.
        var p = 0, i = 0, starP = -1, starI = 0
        while i < s.count {
            if p < chars.count, chars[p] == "*" {
                starP = p; starI = i; p += 1; continue
            }
            if p < chars.count, let next = matchOne(at: p, s[i]) {
                p = next; i += 1; continue
            }
            if starP >= 0 {
                p = starP + 1; starI += 1; i = starI; continue
            }
            return false
        }
        while p < chars.count, chars[p] == "*" { p += 1 }
        return p == chars.count
    }

    /// Matches one character at pattern position `p`; returns the next position, or nil if it does not match.
    private func matchOne(at p: Int, _ c: Character) -> Int? {
        switch chars[p] {
        case "?": return p + 1
        case "[":
            var q = p + 1
            var negate = false
            if q < chars.count, chars[q] == "!" || chars[q] == "^" { negate = true; q += 1 }
            var matched = false
            var first = true
            while q < chars.count, chars[q] != "]" || first {
                first = false
                if q + 2 < chars.count, chars[q + 1] == "-", chars[q + 2] != "]" {
                    if chars[q] <= c && c <= chars[q + 2] { matched = true }
                    q += 3
                } else {
                    if chars[q] == c { matched = true }
                    q += 1
                }
            }
            if q >= chars.count { return chars[p] == c ? p + 1 : nil } // unterminated: literal '['
            return matched != negate ? q + 1 : nil
        default:
            return chars[p] == c ? p + 1 : nil
        }
    }
}
