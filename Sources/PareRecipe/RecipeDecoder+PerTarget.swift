import PareBasics

extension RecipeDecoder {
    /// Reads `per_target:` (target name → pass id → partial config) and resolves each overridden target's passes.
    func perTarget(_ node: YAMLNode, targets: [Located<String>], passes: [(PartialPass, PassSpec)])
        -> ([String: SourceLocation], [String: [PassSpec]]) {
        var locations: [String: SourceLocation] = [:]
        var resolved: [String: [PassSpec]] = [:]
        guard let entries = r.mapping(node, "'per_target'", example: "per_target: { x86-64-avx2: { quantize: { ... } } }") else {
            return ([:], [:])
        }
        let targetNames = targets.map(\.value)
        let ids = passes.map(\.1.id)
        for t in entries {
            guard targetNames.contains(t.key) else {
                let hint = Suggestion.hint(for: t.key, in: targetNames)
                r.error("per_target names target '\(t.key)', which is not in 'targets' (\(targetNames.joined(separator: ", ")))\(hint); "
                        + "add it to 'targets' or fix the name", at: t.keyLocation)
                continue
            }
            locations[t.key] = t.keyLocation
            guard let passEntries = r.mapping(t.value, "per_target.\(t.key)", example: "\(t.key): { quantize: { ... } }") else { continue }
            var list = passes.map(\.1)
            for pe in passEntries {
                guard let i = passes.firstIndex(where: { $0.1.id == pe.key }) else {
                    r.error(NodeReader.unknown("pass id", pe.key, in: "per_target.\(t.key)", candidates: ids)
                            + "; per_target entries are keyed by pass id", at: pe.keyLocation)
                    continue
                }
                let (base, spec) = passes[i]
                let overlay = PassDecoder.config(pe.value, name: base.name, location: pe.keyLocation,
                                                 context: "per_target.\(t.key).\(pe.key)", overlay: true, r)
                var resolver = PassResolver(r)
                guard let config = resolver.resolve([base, overlay]) else { continue }
                list[i] = PassSpec(index: spec.index, id: spec.id, config: config, location: spec.location,
                                   fieldLocations: resolver.locations)
            }
            resolved[t.key] = list
        }
        return (locations, resolved)
    }
}
