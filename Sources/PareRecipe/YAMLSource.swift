import Foundation
import PareBasics
import Yams

/// Parses YAML text into located `YAMLNode`s with Yams (libyaml); the only place that touches Yams nodes.
enum YAMLSource {
    /// Parses one YAML document. Returns nil for an empty document. Throws a located `DiagnosticError` for
    /// syntax errors and for keys that are not plain scalars.
    static func parse(_ text: String, file: String) throws -> YAMLNode? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw DiagnosticError(diagnostic(for: error, file: file))
        } catch {
            throw DiagnosticError(.error("cannot parse YAML: \(error)", at: SourceLocation(file: file, line: 1, column: 1)))
        }
        guard let root else { return nil }
        var bag = DiagnosticBag()
        let node = convert(root, file: file, bag: &bag)
        try bag.throwIfErrors()
        return node
    }

    /// Reads and parses a file; unreadable files are reported at `reference` (or the file itself).
    static func parseFile(_ path: String, referencedFrom reference: SourceLocation?, what: String) throws -> YAMLNode? {
        let at = reference ?? SourceLocation(file: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DiagnosticError(.error("cannot read \(what) '\(path)': no such file; check the path"
                                         + (reference == nil ? "" : " (it is relative to the folder of the file naming it)"), at: at))
        }
        if isDirectory.boolValue {
            throw DiagnosticError(.error("cannot read \(what) '\(path)': it is a folder; name a YAML file", at: at))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DiagnosticError(.error("cannot read \(what) '\(path)': permission denied or I/O error; check that it is readable",
                                         at: at))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DiagnosticError(.error("\(what) '\(path)' is not UTF-8 text; save it as UTF-8", at: at))
        }
        return try parse(text, file: path)
    }

    // MARK: - Errors

    static func diagnostic(for error: YamlError, file: String) -> Diagnostic {
        let hint = "; check the indentation, a missing ':' or '-', or an unclosed quote or bracket"
        func at(_ mark: Mark) -> SourceLocation { SourceLocation(file: file, line: mark.line, column: mark.column) }
        func context(_ c: YamlError.Context?) -> String {
            guard let c else { return "" }
            return " (\(c.text) at line \(c.mark.line), column \(c.mark.column))"
        }
        switch error {
        case let .scanner(ctx, problem, mark, _), let .parser(ctx, problem, mark, _), let .composer(ctx, problem, mark, _):
            return .error("invalid YAML: \(problem)\(context(ctx))\(hint)", at: at(mark))
        case let .reader(problem, offset, _, yaml):
            var loc = SourceLocation(file: file, line: 1, column: 1)
            if let offset {
                let prefix = yaml.prefix(offset)
                let line = prefix.reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
                let column = prefix.split(separator: "\n", omittingEmptySubsequences: false).last.map { $0.unicodeScalars.count + 1 } ?? 1
                loc = SourceLocation(file: file, line: line, column: column)
            }
            return .error("cannot read YAML: \(problem); save the file as UTF-8 text without control characters", at: loc)
        case let .duplicatedKeysInMapping(duplicates, ctx):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return .error("key \(keys) appears more than once in this mapping; keep one of them", at: at(ctx.mark))
        default:
            return .error("invalid YAML: \(error)", at: SourceLocation(file: file, line: 1, column: 1))
        }
    }

    // MARK: - Conversion

    static func location(_ node: Node, _ file: String) -> SourceLocation {
        guard let m = node.mark else { return SourceLocation(file: file, line: 1, column: 1) }
        return SourceLocation(file: file, line: m.line, column: m.column)
    }

    static func convert(_ node: Node, file: String, bag: inout DiagnosticBag) -> YAMLNode {
        let loc = location(node, file)
        switch node {
        case .scalar(let s):
            return YAMLNode(content: .scalar(scalar(s, Tag.Name(rawValue: node.tag.rawValue))), location: loc)
        case .alias:
            // Yams resolves aliases while composing; an unresolved one only appears in hand-built trees.
            return YAMLNode(content: .scalar(YAMLScalar(text: "", kind: .null)), location: loc)
        case .sequence(let seq):
            return YAMLNode(content: .sequence(seq.map { convert($0, file: file, bag: &bag) }), location: loc)
        case .mapping(let map):
            var entries: [YAMLEntry] = []
            var merged: [YAMLEntry] = []
            for (k, v) in map {
                guard case .scalar(let ks) = k else {
                    bag.error("a mapping key must be a plain name, got \(k.mapping != nil ? "a mapping" : "a list"); write 'name: value'",
                              at: location(k, file))
                    continue
                }
                if k.tag.rawValue == Tag.Name.merge.rawValue {
                    // YAML merge key `<<: *anchor` (or a list of them): explicit keys win.
                    let sources = v.sequence.map { Array($0) } ?? [v]
                    for src in sources {
                        let converted = convert(src, file: file, bag: &bag)
                        guard let e = converted.entries else {
                            bag.error("'<<' merges mappings only, got \(converted.describe)", at: converted.location)
                            continue
                        }
                        for entry in e where !merged.contains(where: { $0.key == entry.key }) { merged.append(entry) }
                    }
                    continue
                }
                entries.append(YAMLEntry(key: ks.string, keyLocation: location(k, file), value: convert(v, file: file, bag: &bag)))
            }
            for m in merged where !entries.contains(where: { $0.key == m.key }) { entries.append(m) }
            return YAMLNode(content: .mapping(entries), location: loc)
        }
    }

    static func scalar(_ s: Node.Scalar, _ tag: Tag.Name) -> YAMLScalar {
        switch tag {
        case .null:
            return YAMLScalar(text: s.string, kind: .null)
        case .bool:
            if let b = Bool.construct(from: s) { return YAMLScalar(text: s.string, kind: .bool, bool: b) }
        case .int:
            if let i = Int.construct(from: s) { return YAMLScalar(text: s.string, kind: .int, int: i, double: Double(i)) }
            if let d = Double.construct(from: s) { return YAMLScalar(text: s.string, kind: .float, double: d) }
        case .float:
            if let d = Double.construct(from: s) { return YAMLScalar(text: s.string, kind: .float, double: d) }
        default:
            break
        }
        return YAMLScalar(text: s.string, kind: .string)
    }
}
