import PareBasics

/// Typed, located reads from `YAMLNode`s that collect every problem in one `DiagnosticBag` instead of stopping
/// at the first. Each read returns nil when the value is unusable (and has reported why).
final class NodeReader {
    var bag = DiagnosticBag()

    func error(_ message: String, at location: SourceLocation?, notes: [Diagnostic] = []) {
        bag.error(message, at: location, notes: notes)
    }

    /// The entries of a mapping node. `what` names the value in messages, e.g. "'model'".
    func mapping(_ node: YAMLNode, _ what: String, example: String? = nil) -> [YAMLEntry]? {
        if let e = node.entries { return e }
        error("\(what) must be a mapping of 'key: value' lines, got \(node.describe)" + (example.map { "; e.g. \($0)" } ?? ""),
              at: node.location)
        return nil
    }

    /// Reports keys not in `allowed`, with a did-you-mean or the list of allowed keys. Returns the keys that were
    /// suggested, so that callers do not also report them as missing.
    @discardableResult
    func checkKeys(_ entries: [YAMLEntry], allowed: [String], in what: String) -> Set<String> {
        var suggested: Set<String> = []
        for e in entries where !allowed.contains(e.key) {
            error(Self.unknown("key", e.key, in: what, candidates: allowed), at: e.keyLocation)
            if let best = Suggestion.closest(to: e.key, in: allowed) { suggested.insert(best) }
        }
        return suggested
    }

    /// "unknown key 'pases' in the recipe (did you mean 'passes'?)" or "...; expected one of: a, b".
    static func unknown(_ kind: String, _ word: String, in what: String?, candidates: [String]) -> String {
        let place = what.map { " in \($0)" } ?? ""
        if let best = Suggestion.closest(to: word, in: candidates) {
            return "unknown \(kind) '\(word)'\(place) (did you mean '\(best)'?)"
        }
        if candidates.isEmpty { return "unknown \(kind) '\(word)'\(place)" }
        return "unknown \(kind) '\(word)'\(place); expected one of: \(candidates.joined(separator: ", "))"
    }

    /// Reports a missing required key at the mapping.
    func missing(_ key: String, in what: String, at location: SourceLocation, example: String) {
        error("missing required key '\(key)' in \(what); add it, e.g. \(example)", at: location)
    }

    /// Any non-empty scalar, as text.
    func string(_ node: YAMLNode, _ what: String, example: String? = nil) -> Located<String>? {
        if let s = node.scalar, s.kind != .null, !s.text.isEmpty { return Located(s.text, at: node.location) }
        error("\(what) must be a non-empty string, got \(node.describe)" + (example.map { "; e.g. \($0)" } ?? ""),
              at: node.location)
        return nil
    }

    /// An integer within `range`.
    func int(_ node: YAMLNode, _ what: String, range: ClosedRange<Int>? = nil, rangeText: String? = nil) -> Located<Int>? {
        guard let s = node.scalar, s.kind == .int, let v = s.int else {
            error("\(what) must be an integer, got \(node.describe)", at: node.location)
            return nil
        }
        if let range, !range.contains(v) {
            error("\(what) must be \(rangeText ?? "in \(range.lowerBound)...\(range.upperBound)"), got \(v)", at: node.location)
            return nil
        }
        return Located(v, at: node.location)
    }

    /// A finite number (integers are accepted).
    func number(_ node: YAMLNode, _ what: String, expected: String = "a number") -> Located<Double>? {
        guard let s = node.scalar, s.kind == .int || s.kind == .float, let v = s.double, v.isFinite else {
            var hint = ""
            if let s = node.scalar, s.kind == .string, let s2 = Double(s.text), s2.isFinite {
                hint = "; remove the quotes"
            }
            error("\(what) must be \(expected), got \(node.describe)\(hint)", at: node.location)
            return nil
        }
        return Located(v, at: node.location)
    }

    /// A boolean (`true`/`false`; YAML 1.1 `yes`/`no`/`on`/`off` too).
    func bool(_ node: YAMLNode, _ what: String) -> Located<Bool>? {
        if let s = node.scalar, s.kind == .bool, let b = s.bool { return Located(b, at: node.location) }
        error("\(what) must be true or false, got \(node.describe)", at: node.location)
        return nil
    }

    /// One of an enumeration's raw values, with a did-you-mean.
    func choice<E: RawRepresentable & CaseIterable>(_ node: YAMLNode, _ what: String, _ type: E.Type) -> Located<E>?
    where E.RawValue == String {
        let names = E.allCases.map(\.rawValue)
        guard let s = node.scalar, s.kind != .null, !s.text.isEmpty else {
            error("\(what) must be one of \(names.joined(separator: ", ")), got \(node.describe)", at: node.location)
            return nil
        }
        if let v = E(rawValue: s.text) { return Located(v, at: node.location) }
        let hint = Suggestion.hint(for: s.text, in: names)
        error("\(what) '\(s.text)' is not one of \(names.joined(separator: ", "))\(hint)", at: node.location)
        return nil
    }

    /// A list of non-empty strings; a single string is accepted as a one-item list when `allowSingle`.
    func stringList(_ node: YAMLNode, _ what: String, allowSingle: Bool = false, allowEmpty: Bool = true,
                    example: String? = nil) -> Located<[Located<String>]>? {
        if allowSingle, let s = node.scalar, s.kind != .null, !s.text.isEmpty {
            return Located([Located(s.text, at: node.location)], at: node.location)
        }
        guard let items = node.items else {
            error("\(what) must be a list\(allowSingle ? " or a string" : ""), got \(node.describe)"
                  + (example.map { "; e.g. \($0)" } ?? ""), at: node.location)
            return nil
        }
        if items.isEmpty && !allowEmpty {
            error("\(what) must not be empty" + (example.map { "; e.g. \($0)" } ?? ""), at: node.location)
            return nil
        }
        var out: [Located<String>] = []
        var ok = true
        for item in items {
            if let s = string(item, "each item of \(what)") { out.append(s) } else { ok = false }
        }
        return ok ? Located(out, at: node.location) : nil
    }
}
