import PareBasics

/// Reads pass items and pass configs from YAML into `PartialPass` layers, reporting every problem.
enum PassDecoder {
    static let selectionKeys = ["id", "include", "exclude", "min_elements", "keep_1d"]

    static func configKeys(for pass: String) -> [String] {
        switch pass {
        case "quantize": return selectionKeys + ["weights", "overrides", "activations", "fallback", "requantize"]
        case "cast": return selectionKeys + ["dtype", "compute"]
        case "prune": return selectionKeys + ["method", "sparsity", "scope", "pattern", "structure", "importance", "round_to"]
        case "fold": return ["id", "batchnorm", "constants", "identities"]
        case "palettize": return selectionKeys + ["bits", "group_channels", "iterations", "seed"]
        case "lowrank": return selectionKeys + ["rank", "ratio", "energy", "conv", "round_to"]
        case "distill": return selectionKeys + ["method", "damping", "samples"]
        case "gptq": return selectionKeys + ["weights", "damping", "act_order", "block_size", "samples"]
        default: return selectionKeys + ["candidates", "max_size_mb", "bits_per_weight", "group", "samples"]
        }
    }

    static let weightKeys = ["dtype", "granularity", "group", "symmetric", "fit"]
    static let overrideKeys = ["match", "weights", "skip"]

    /// Reads one item of `passes:`: a pass name, or a single-key mapping `name: {config}`.
    static func item(_ node: YAMLNode, _ r: NodeReader) -> PartialPass? {
        let name: String, nameLocation: SourceLocation, config: YAMLNode?
        if let s = node.scalar, s.kind != .null, !s.text.isEmpty {
            (name, nameLocation, config) = (s.text, node.location, nil)
        } else if let entries = node.entries, entries.count == 1 {
            (name, nameLocation, config) = (entries[0].key, entries[0].keyLocation, entries[0].value)
        } else if let entries = node.entries, entries.count > 1 {
            let first = entries[0]
            if PassConfig.passNames.contains(first.key), first.value.isNull {
                let rest = entries.dropFirst().map { "'\($0.key)'" }.joined(separator: ", ")
                r.error("the config of pass '\(first.key)' must be nested under it: indent \(rest) below '\(first.key):' "
                        + "(or write \(first.key): { \(entries[1].key): ... })", at: entries[1].keyLocation)
            } else {
                let keys = entries.map { "'\($0.key)'" }.joined(separator: ", ")
                r.error("a pass is a name or a single-key mapping 'name: {config}', got keys \(keys); "
                        + "start a new '- ' item for each pass", at: node.location)
            }
            return nil
        } else {
            r.error("a pass must be a pass name (e.g. '- quantize') or 'name: {config}', got \(node.describe)", at: node.location)
            return nil
        }
        guard PassConfig.passNames.contains(name) else {
            r.error(NodeReader.unknown("pass", name, in: nil, candidates: PassConfig.passNames), at: nameLocation)
            return nil
        }
        return self.config(config, name: name, location: nameLocation, context: name, overlay: false, r)
    }

    /// Reads a pass's config mapping (or nothing, for all defaults). `overlay` marks a per_target layer, which may
    /// not change the id. `context` names the place in messages, e.g. "prune" or "per_target.x86-64-avx2.prune".
    static func config(_ node: YAMLNode?, name: String, location: SourceLocation, context: String, overlay: Bool,
                       _ r: NodeReader) -> PartialPass {
        var p = PartialPass(name: name, location: location)
        guard let node, !node.isNull else { return p }
        guard let entries = r.mapping(node, "the config of '\(context)'", example: "\(name): { include: [\"*\"] }") else { return p }
        p.invalidKeys = r.checkKeys(entries, allowed: configKeys(for: name), in: context)
        for e in entries {
            let v = e.value
            switch e.key {
            case "id":
                if overlay {
                    r.error("per_target cannot change a pass id; remove 'id' here (per_target entries are keyed by the pass id)",
                            at: e.keyLocation)
                } else if let s = r.string(v, "'id'") {
                    if isValidID(s.value) { p.id = s } else {
                        r.error("'id' '\(s.value)' must start with a letter or digit and contain only letters, digits, '.', '_' and '-'",
                                at: s.location)
                    }
                }
            case "include":
                if let l = r.stringList(v, "'include'", allowSingle: true, allowEmpty: false, example: "include: [\"*attn*\"]") {
                    p.selection.include = Located(l.value.map { Glob($0.value) }, at: l.location)
                }
            case "exclude":
                if let l = r.stringList(v, "'exclude'", allowSingle: true) {
                    p.selection.exclude = Located(l.value.map { Glob($0.value) }, at: l.location)
                }
            case "min_elements":
                p.selection.minElements = r.int(v, "'min_elements'", range: 1...Int.max, rangeText: "at least 1")
            case "keep_1d":
                p.selection.keep1D = r.bool(v, "'keep_1d'")
            case "weights" where name == "quantize" || name == "gptq":
                p.weights = weights(v, context: "\(context).weights", r)
            case "overrides" where name == "quantize":
                p.overrides = overrides(v, context: context, r)
            case "activations" where name == "quantize":
                p.activations = activations(v, context: "\(context).activations", r)
                if p.activations == nil { p.invalidKeys.insert("activations") }
            case "requantize" where name == "quantize":
                p.requantize = r.bool(v, "'requantize'")
            case "fallback" where name == "quantize":
                p.fallback = fallback(v, context: "\(context).fallback", r)
            case "dtype" where name == "cast":
                p.castDType = r.choice(v, "'dtype'", CastDType.self)
                if p.castDType == nil { p.invalidKeys.insert("dtype") }
            case "compute" where name == "cast":
                p.castCompute = r.choice(v, "'compute'", CastCompute.self)
            case "method" where name == "prune":
                if let s = r.string(v, "'method'") {
                    if PruneConfig.methods.contains(s.value) { p.method = s } else {
                        r.error("'method' '\(s.value)' is not a known prune method; expected one of: "
                                + PruneConfig.methods.joined(separator: ", ") + Suggestion.hint(for: s.value, in: PruneConfig.methods),
                                at: s.location)
                    }
                }
            case "sparsity" where name == "prune":
                p.invalidKeys.insert("sparsity")
                if let n = r.number(v, "'sparsity'", expected: "a number between 0 and 1") {
                    if n.value > 0 && n.value < 1 { p.sparsity = n; p.invalidKeys.remove("sparsity") } else {
                        r.error("'sparsity' must be between 0 and 1 (exclusive), got \(v.scalar?.text ?? "\(n.value)"); "
                                + "it is the fraction of weights set to zero, e.g. sparsity: 0.5", at: n.location)
                    }
                }
            case "scope" where name == "prune":
                p.scope = r.choice(v, "'scope'", PruneScope.self)
            case "pattern" where name == "prune":
                p.invalidKeys.insert("pattern")
                if let s = r.string(v, "'pattern'", example: "pattern: \"2:4\"") {
                    if let nm = NMPattern(s.value) { p.pattern = Located(nm, at: s.location); p.invalidKeys.remove("pattern") } else {
                        r.error("'pattern' must be \"N:M\" with 1 ≤ N < M ≤ \(NMPattern.maxM) (keep N of every M weights), "
                                + "got \"\(s.value)\"; e.g. pattern: \"2:4\"", at: s.location)
                    }
                }
            default:
                // Keys of the newer passes are read after merging (PassResolver+Catalog); unknown keys were
                // reported by checkKeys.
                if configKeys(for: name).contains(e.key) { p.raw[e.key] = e }
            }
        }
        return p
    }

    static func weights(_ node: YAMLNode, context: String, _ r: NodeReader) -> PartialWeights? {
        guard let entries = r.mapping(node, "'weights'", example: "weights: { dtype: int8, granularity: per-channel }") else { return nil }
        r.checkKeys(entries, allowed: weightKeys, in: context)
        var w = PartialWeights(location: node.location)
        for e in entries {
            switch e.key {
            case "dtype": w.dtype = r.choice(e.value, "'dtype'", WeightDType.self)
            case "granularity": w.granularity = r.choice(e.value, "'granularity'", WeightGranularity.self)
            case "group":
                if let g = r.int(e.value, "'group'") {
                    if g.value >= 2 && g.value % 2 == 0 { w.group = g } else {
                        r.error("'group' must be an even integer ≥ 2 (values per scale), got \(g.value); e.g. group: 32", at: g.location)
                    }
                }
            case "symmetric": w.symmetric = r.bool(e.value, "'symmetric'")
            case "fit": w.fit = r.choice(e.value, "'fit'", WeightFit.self)
            default: break
            }
        }
        return w
    }

    static func overrides(_ node: YAMLNode, context: String, _ r: NodeReader) -> Located<[PartialOverride]>? {
        guard let items = node.items else {
            r.error("'overrides' must be a list of '- match: ...' items, got \(node.describe)", at: node.location)
            return nil
        }
        var out: [PartialOverride] = []
        for (i, item) in items.enumerated() {
            let ctx = "\(context).overrides[\(i)]"
            guard let entries = r.mapping(item, "each override", example: "- match: \"*attn*\"") else { continue }
            let suggested = r.checkKeys(entries, allowed: overrideKeys, in: ctx)
            var o = PartialOverride(location: item.location)
            o.invalidMatch = suggested.contains("match")
            for e in entries {
                switch e.key {
                case "match":
                    if let l = r.stringList(e.value, "'match'", allowSingle: true, allowEmpty: false, example: "match: \"*attn*\"") {
                        o.match = Located(l.value.map { Glob($0.value) }, at: l.location)
                    } else {
                        o.invalidMatch = true
                    }
                case "weights": o.weights = weights(e.value, context: "\(ctx).weights", r)
                case "skip": o.skip = r.bool(e.value, "'skip'")
                default: break
                }
            }
            out.append(o)
        }
        return Located(out, at: node.location)
    }

    /// Pass ids: a letter or digit, then letters, digits, '.', '_', '-'.
    static func isValidID(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first.isASCIIAlnum else { return false }
        return s.unicodeScalars.allSatisfy { $0.isASCIIAlnum || $0 == "." || $0 == "_" || $0 == "-" }
    }
}
