import PareBasics

/// Turns the merged recipe tree into a `Recipe`, reporting every problem through the reader.
struct RecipeDecoder {
    let r: NodeReader
    let file: String
    /// Available target ids; when set, unknown names in `targets` are errors.
    var knownTargets: [String]?

    static let topLevelKeys = ["recipe", "imports", "model", "data", "targets", "passes", "gates", "bundle", "per_target"]
    static let modelKeys = ["path", "format"]
    static let bundleKeys = ["format", "tar", "external_data"]

    init(reader: NodeReader, file: String) {
        self.r = reader
        self.file = file
    }

    mutating func decode(_ root: YAMLNode, sourceFiles: [String]) -> Recipe? {
        guard let entries = r.mapping(root, "a recipe", example: "recipe: my-model") else { return nil }
        let suggested = r.checkKeys(entries, allowed: Self.topLevelKeys, in: "the recipe")
        let at = root.location
        func missing(_ key: String, example: String) {
            if !suggested.contains(key) { r.missing(key, in: "the recipe", at: at, example: example) }
        }

        var name: String?
        if let e = root["recipe"] { name = recipeName(e.value) } else {
            missing("recipe", example: "recipe: keyboard-suggest")
        }
        var model: ModelSpec?
        if let e = root["model"] { model = self.model(e.value) } else {
            missing("model", example: "model: { path: models/model.safetensors }")
        }
        var targets: [Located<String>]?
        if let e = root["targets"] { targets = self.targets(e.value) } else {
            missing("targets", example: "targets: [arm64-cortex-a78]")
        }
        var passes: (passes: [(PartialPass, PassSpec)], complete: Bool)?
        if let e = root["passes"] { passes = self.passes(e.value) } else {
            missing("passes", example: "passes: [quantize]")
        }
        let bundle = root["bundle"].map { self.bundle($0.value) } ?? BundleSpec()
        if let model { checkExternalData(bundle, model: model) }

        var perTargetLocations: [String: SourceLocation] = [:]
        var perTargetPasses: [String: [PassSpec]] = [:]
        if let e = root["per_target"], let targets, let passes {
            (perTargetLocations, perTargetPasses) = perTarget(e.value, targets: targets, passes: passes.passes)
        }
        let data = root["data"].map { self.data($0.value) } ?? DataSpec()
        let gates = root["gates"].map { self.gates($0.value) } ?? []
        if let passes, passes.complete {
            checkDataUse(data: data, gates: gates, passes: passes.passes.map(\.1), perTarget: perTargetPasses)
        }
        guard let name, let model, let targets, let passes, passes.complete else { return nil }
        return Recipe(name: name, file: file, sourceFiles: sourceFiles, model: model, targets: targets,
                      passes: passes.passes.map(\.1), bundle: bundle, perTargetLocations: perTargetLocations,
                      perTargetPasses: perTargetPasses, data: data, gates: gates)
    }

    // MARK: - Sections

    private func recipeName(_ node: YAMLNode) -> String? {
        guard let s = r.string(node, "'recipe'", example: "recipe: keyboard-suggest") else { return nil }
        if Self.isValidName(s.value) { return s.value }
        let slug = Self.slug(s.value)
        r.error("recipe name '\(s.value)' must match [a-z0-9][a-z0-9._-]* (it names the dist/<recipe>/ folder)"
                + (slug.isEmpty ? "" : "; e.g. '\(slug)'"), at: s.location)
        return nil
    }

    /// `[a-z0-9][a-z0-9._-]*`
    static func isValidName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, ("a"..."z").contains(first) || ("0"..."9").contains(first) else { return false }
        return s.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "_" || $0 == "-" }
    }

    /// A valid name close to `s`: lower-cased, other characters turned into '-'.
    static func slug(_ s: String) -> String {
        var out = ""
        for c in s.lowercased().unicodeScalars {
            if ("a"..."z").contains(c) || ("0"..."9").contains(c) || c == "." || c == "_" { out.unicodeScalars.append(c) }
            else if !out.hasSuffix("-") { out += "-" }
        }
        while let f = out.unicodeScalars.first, !(("a"..."z").contains(f) || ("0"..."9").contains(f)) { out.removeFirst() }
        while out.hasSuffix("-") { out.removeLast() }
        return out
    }

    private func model(_ node: YAMLNode) -> ModelSpec? {
        guard let entries = r.mapping(node, "'model'", example: "model: { path: models/model.safetensors }") else { return nil }
        let suggested = r.checkKeys(entries, allowed: Self.modelKeys, in: "model")
        var format = ModelFormatChoice.auto
        if let f = node["format"], let c = r.choice(f.value, "'format'", ModelFormatChoice.self) { format = c.value }
        guard let p = node["path"] else {
            if suggested.contains("path") { return nil }
            r.missing("path", in: "model", at: node.location, example: "path: ../models/model.safetensors")
            return nil
        }
        guard let given = r.string(p.value, "'path'", example: "path: ../models/model.safetensors") else { return nil }
        // Relative to the folder of the file that wrote it (the recipe, or an imported file).
        let resolved = PathUtil.join(PathUtil.dirname(given.location.file), given.value)
        return ModelSpec(path: resolved, givenPath: given.value, format: format, location: given.location)
    }

    private func targets(_ node: YAMLNode) -> [Located<String>]? {
        guard let list = r.stringList(node, "'targets'", allowEmpty: false, example: "targets: [arm64-cortex-a78]") else { return nil }
        var seen: [String: SourceLocation] = [:]
        var ok = true
        for t in list.value {
            if let first = seen[t.value] {
                r.error("target '\(t.value)' is listed twice; remove the repeat", at: t.location,
                        notes: [.note("first listed here", at: first)])
                ok = false
            } else {
                seen[t.value] = t.location
            }
            if let known = knownTargets, !known.contains(t.value) {
                let hint = Suggestion.hint(for: t.value, in: known)
                let list = hint.isEmpty ? "; known targets: \(known.isEmpty ? "none" : known.sorted().joined(separator: ", "))" : ""
                r.error("unknown target '\(t.value)'\(hint)\(list); each target needs a profile targets/<name>.yaml", at: t.location)
                ok = false
            }
        }
        return ok ? list.value : nil
    }

    private func bundle(_ node: YAMLNode) -> BundleSpec {
        var b = BundleSpec(location: node.location)
        guard let entries = r.mapping(node, "'bundle'", example: "bundle: { format: auto, tar: true }") else { return b }
        r.checkKeys(entries, allowed: Self.bundleKeys, in: "bundle")
        if let f = node["format"], let c = r.choice(f.value, "'format'", ModelFormatChoice.self) {
            b.format = c.value
            b.location = c.location
        }
        if let t = node["tar"], let v = r.bool(t.value, "'tar'") { b.tar = v.value }
        if let e = node["external_data"], let c = r.choice(e.value, "'external_data'", ExternalDataMode.self) {
            b.externalData = c.value
            b.externalDataLocation = c.location
        }
        return b
    }

    /// `external_data: always` needs ONNX bundles; reported at the value when the bundle format is known from the
    /// recipe (an explicit `bundle.format`, or the model's format or file extension). A model whose format is
    /// known only from its content is checked by the planner (`BundleSpec.externalDataProblem`).
    private func checkExternalData(_ bundle: BundleSpec, model: ModelSpec) {
        guard let format = bundle.resolvedFormat(model: model), let message = bundle.externalDataProblem(bundleFormat: format) else { return }
        r.error(message, at: bundle.externalDataLocation)
    }
}
