import PareBasics

/// Resolves `imports:` recursively and deep-merges the imported mappings under the importing file: later
/// imports win over earlier ones, and the importing file wins over all of them; lists are replaced, not
/// concatenated. Cycles are reported with the whole chain.
struct ImportResolver {
    let r: NodeReader
    /// The recipe and each imported file, in load order, each once.
    private(set) var sourceFiles: [String] = []
    /// Every file named, readable or not, in the order met (to order diagnostics).
    private(set) var filesInOrder: [String] = []

    private struct Frame {
        var file: String
        var absolute: String
        /// Where the previous frame's file imports this one.
        var importedAt: SourceLocation?
    }
    private var chain: [Frame] = []

    init(reader: NodeReader) { self.r = reader }

    /// The merged tree of `root` (read from `file`) and everything it imports, without `imports` keys.
    mutating func resolve(_ root: YAMLNode, file: String) -> YAMLNode {
        chain = [Frame(file: file, absolute: PathUtil.absolute(file), importedAt: nil)]
        sourceFiles = [file]
        filesInOrder = [file]
        return expand(root, file: file)
    }

    private mutating func expand(_ node: YAMLNode, file: String) -> YAMLNode {
        guard var entries = node.entries, let index = entries.firstIndex(where: { $0.key == "imports" }) else { return node }
        let importsNode = entries.remove(at: index).value
        let own = YAMLNode(content: .mapping(entries), location: node.location)
        guard let list = r.stringList(importsNode, "'imports'", allowSingle: true, example: "imports: [shared/quant.yaml]") else {
            return own
        }
        var merged: YAMLNode?
        for item in list.value {
            let target = PathUtil.join(PathUtil.dirname(file), item.value)
            let absolute = PathUtil.absolute(target)
            if let start = chain.firstIndex(where: { $0.absolute == absolute }) {
                reportCycle(from: start, closingAt: item.location, target: target)
                continue
            }
            if !filesInOrder.contains(target) { filesInOrder.append(target) }
            let imported: YAMLNode?
            do {
                imported = try YAMLSource.parseFile(target, referencedFrom: item.location, what: "imported file")
            } catch let e as DiagnosticError {
                r.bag.append(contentsOf: e.diagnostics)
                continue
            } catch {
                r.error("cannot import '\(item.value)': \(error)", at: item.location)
                continue
            }
            if !sourceFiles.contains(target) { sourceFiles.append(target) }
            guard let imported else { continue } // an empty file adds nothing
            guard imported.entries != nil else {
                r.error("imported file '\(target)' must be a mapping of recipe keys, got \(imported.describe)", at: imported.location)
                continue
            }
            chain.append(Frame(file: target, absolute: absolute, importedAt: item.location))
            let expanded = expand(imported, file: target)
            chain.removeLast()
            merged = merged.map { YAMLNode.merge($0, expanded) } ?? expanded
        }
        return merged.map { YAMLNode.merge($0, own) } ?? own
    }

    private func reportCycle(from start: Int, closingAt location: SourceLocation, target: String) {
        let files = chain[start...].map(\.file) + [target]
        var notes: [Diagnostic] = []
        for k in (start + 1)..<chain.count {
            notes.append(.note("'\(chain[k - 1].file)' imports '\(chain[k].file)' here", at: chain[k].importedAt))
        }
        r.error("import cycle: \(files.joined(separator: " → ")); remove one of these imports", at: location, notes: notes)
    }
}
