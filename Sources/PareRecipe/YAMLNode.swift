import PareBasics

/// A YAML value with the place it was written, independent of the parser (so trees from several files can be
/// merged and still point into the file each value came from).
struct YAMLNode: Sendable, Hashable {
    enum Content: Sendable, Hashable {
        case scalar(YAMLScalar)
        case mapping([YAMLEntry])
        case sequence([YAMLNode])
    }

    var content: Content
    var location: SourceLocation

    var scalar: YAMLScalar? {
        if case .scalar(let s) = content { return s }
        return nil
    }

    var entries: [YAMLEntry]? {
        if case .mapping(let e) = content { return e }
        return nil
    }

    var items: [YAMLNode]? {
        if case .sequence(let i) = content { return i }
        return nil
    }

    var isNull: Bool { scalar?.kind == .null }

    /// The value of a key of a mapping node.
    subscript(key: String) -> YAMLEntry? {
        entries?.first { $0.key == key }
    }

    /// How the value reads in a message: "a mapping", "a list", "the string \"half\"", "the number 1.5", ...
    var describe: String {
        switch content {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let s):
            switch s.kind {
            case .null: return "an empty value"
            case .bool: return "the boolean \(s.text)"
            case .int: return "the integer \(s.text)"
            case .float: return "the number \(s.text)"
            case .string: return "the string \"\(s.text)\""
            }
        }
    }

    /// Deep merge: `top`'s keys win over `bottom`'s; mappings merge recursively, anything else is replaced.
    static func merge(_ bottom: YAMLNode, _ top: YAMLNode) -> YAMLNode {
        guard case .mapping(let b) = bottom.content, case .mapping(let t) = top.content else { return top }
        var out = b
        for entry in t {
            if let i = out.firstIndex(where: { $0.key == entry.key }) {
                out[i] = YAMLEntry(key: entry.key, keyLocation: entry.keyLocation, value: merge(out[i].value, entry.value))
            } else {
                out.append(entry)
            }
        }
        return YAMLNode(content: .mapping(out), location: top.location)
    }
}
