import PareBasics

extension RecipeDecoder {
    /// Reads `passes:`, assigns ids, resolves each pass and checks ids and order. Returns each usable pass's
    /// written layer with its resolved spec, and whether every pass was usable; nil when the list itself is not.
    func passes(_ node: YAMLNode) -> (passes: [(PartialPass, PassSpec)], complete: Bool)? {
        guard let items = node.items else {
            r.error("'passes' must be a list of passes, got \(node.describe); e.g. passes: [quantize]", at: node.location)
            return nil
        }
        if items.isEmpty {
            r.error("'passes' must not be empty; list at least one pass, e.g. passes: [quantize]", at: node.location)
            return nil
        }
        var out: [(PartialPass, PassSpec)] = []
        var countByName: [String: Int] = [:]
        var idOwners: [String: SourceLocation] = [:]
        var failed = false
        for (index, item) in items.enumerated() {
            guard let partial = PassDecoder.item(item, r) else { failed = true; continue }
            countByName[partial.name, default: 0] += 1
            let n = countByName[partial.name]!
            let id = partial.id?.value ?? (n == 1 ? partial.name : "\(partial.name)-\(n)")
            let idLocation = partial.id?.location ?? partial.location
            if let first = idOwners[id] {
                r.error("duplicate pass id '\(id)'; give this pass a different id, e.g. id: \(id)-b", at: idLocation,
                        notes: [.note("'\(id)' is first used here", at: first)])
                failed = true
            } else {
                idOwners[id] = idLocation
            }
            var resolver = PassResolver(r)
            guard let config = resolver.resolve([partial]) else { failed = true; continue }
            out.append((partial, PassSpec(index: index, id: id, config: config, location: partial.location,
                                          fieldLocations: resolver.locations)))
        }
        checkOrder(out.map(\.1))
        return (out, !failed)
    }

    /// Order rules: passes that need float weights or rewrite the graph (prune, fold, lowrank) come before every
    /// pass that changes how weights are stored; `distill` follows a pass that compresses something.
    private func checkOrder(_ passes: [PassSpec]) {
        for p in passes where p.config.needsFloatWeights {
            guard let earlier = passes.first(where: { $0.index < p.index && $0.config.isEncoding }) else { continue }
            let what: String
            switch p.config {
            case .fold: what = "fold rewrites float Conv / Gemm weights and the graph"
            case .lowrank: what = "lowrank factorizes float weights"
            default: what = "prune works on float weights"
            }
            r.error("\(p.label) comes after \(earlier.label); \(what), and \(earlier.name) has already changed how they are stored — "
                    + "move \(p.name) before \(earlier.name)",
                    at: p.location, notes: [.note("\(earlier.label) is here", at: earlier.location)])
        }
        for p in passes {
            guard case .distill = p.config else { continue }
            if !passes.contains(where: { $0.index < p.index && $0.config.compresses }) {
                r.error("\(p.label) has nothing to recover: it re-fits layers that an earlier pass compressed (prune, lowrank, palettize, "
                        + "quantize, gptq, ...), and none comes before it — move distill after the pass whose error it should reduce",
                        at: p.location)
            }
        }
    }
}
