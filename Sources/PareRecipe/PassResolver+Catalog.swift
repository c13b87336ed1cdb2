import PareBasics

/// Resolves the newer passes (fold, palettize, lowrank, distill, gptq, mixed-precision) and prune's channel keys
/// from the raw keys of their layers: for each key the topmost layer that writes it wins, then the value is read
/// and checked here, with its location recorded under the key.
extension PassResolver {
    /// Keys that choose one thing together: a layer writing any of them replaces the others of lower layers.
    static let exclusiveGroups = [["rank", "ratio", "energy"], ["max_size_mb", "bits_per_weight"]]

    /// The topmost entry of each raw key (an exclusive group is taken as a whole from the topmost layer writing it).
    func merged(_ layers: [PartialPass]) -> [String: YAMLEntry] {
        var out: [String: YAMLEntry] = [:]
        for l in layers {
            for group in Self.exclusiveGroups where group.contains(where: { l.raw[$0] != nil }) {
                for k in group { out[k] = nil }
            }
            for (k, e) in l.raw { out[k] = e }
        }
        return out
    }

    mutating func resolveCatalog(_ layers: [PartialPass], selection: TensorSelection) -> PassConfig? {
        let base = layers[0]
        let f = merged(layers)
        for (k, e) in f { locations[k] = e.value.location }
        func int(_ key: String, _ range: ClosedRange<Int>, _ text: String) -> Int? {
            f[key].flatMap { r.int($0.value, "'\(key)'", range: range, rangeText: text)?.value }
        }
        func fraction(_ key: String, _ text: String, open: Bool = false) -> Double? {
            guard let e = f[key], let n = r.number(e.value, "'\(key)'", expected: "a number") else { return nil }
            let ok = open ? (n.value > 0 && n.value < 1) : (n.value > 0 && n.value <= 1)
            if !ok { r.error("'\(key)' must be \(text), got \(e.value.scalar?.text ?? "\(n.value)")", at: n.location); return nil }
            return n.value
        }
        func positive(_ key: String, _ text: String) -> Double? {
            guard let e = f[key], let n = r.number(e.value, "'\(key)'", expected: "a number") else { return nil }
            if n.value <= 0 { r.error("'\(key)' must be \(text), got \(e.value.scalar?.text ?? "\(n.value)")", at: n.location); return nil }
            return n.value
        }
        func bool(_ key: String) -> Bool? { f[key].flatMap { r.bool($0.value, "'\(key)'")?.value } }
        let samples = int("samples", 1...Int.max, "at least 1")
        switch base.name {
        case "fold":
            var c = FoldConfig()
            if let v = bool("batchnorm") { c.batchNorm = v }
            if let v = bool("constants") { c.constants = v }
            if let v = bool("identities") { c.identities = v }
            return .fold(c)
        case "palettize":
            var c = PalettizeConfig(selection: selection)
            if let v = int("bits", 1...8, "between 1 and 8 (2 to 256 table entries)") { c.bits = v } else if f["bits"] != nil { return nil }
            if let v = int("group_channels", 0...Int.max, "0 (one table per tensor) or a channel count") { c.groupChannels = v }
            if let v = int("iterations", 1...1000, "between 1 and 1000") { c.iterations = v }
            if let e = f["seed"], let v = r.int(e.value, "'seed'", range: 0...Int.max, rangeText: "a non-negative integer") { c.seed = UInt64(v.value) }
            return .palettize(c)
        case "lowrank":
            let written = ["rank", "ratio", "energy"].filter { f[$0] != nil }
            guard written.count == 1 else {
                if written.isEmpty {
                    r.error("lowrank needs one of 'rank' (e.g. rank: 16), 'ratio' (the fraction of min(rows, cols) kept, e.g. ratio: 0.25) "
                            + "or 'energy' (the fraction of the squared singular values kept, e.g. energy: 0.95)", at: base.location)
                } else {
                    r.error("give one of \(written.map { "'\($0)'" }.joined(separator: ", ")), not \(written.count); each chooses the rank on its own",
                            at: f[written[1]]!.keyLocation)
                }
                return nil
            }
            let rule: LowRankConfig.RankRule
            switch written[0] {
            case "rank":
                guard let v = int("rank", 1...Int.max, "at least 1") else { return nil }
                rule = .rank(v)
            case "ratio":
                guard let v = fraction("ratio", "in (0, 1]: the fraction of min(rows, cols) kept, e.g. ratio: 0.25") else { return nil }
                rule = .ratio(v)
            default:
                guard let v = fraction("energy", "in (0, 1]: the fraction of the squared singular values kept, e.g. energy: 0.95") else { return nil }
                rule = .energy(v)
            }
            return .lowrank(LowRankConfig(selection: selection, rule: rule, conv: bool("conv") ?? true,
                                          roundTo: int("round_to", 1...4096, "between 1 and 4096") ?? 1))
        case "distill":
            var c = DistillConfig(selection: selection, samples: samples)
            if let e = f["method"], let s = r.string(e.value, "'method'") {
                guard DistillConfig.methods.contains(s.value) else {
                    r.error("'method' '\(s.value)' is not a known distill method; expected one of: \(DistillConfig.methods.joined(separator: ", "))"
                            + Suggestion.hint(for: s.value, in: DistillConfig.methods), at: s.location)
                    return nil
                }
                c.method = s.value
            }
            if let v = positive("damping", "a positive number (ridge damping relative to the mean of diag(XᵀX)), e.g. damping: 0.01") { c.damping = v }
            return .distill(c)
        case "gptq":
            let weightLayers = layers.compactMap(\.weights)
            var c = GPTQConfig(selection: selection, samples: samples)
            c.weights = resolveWeights(weightLayers, path: "weights", firstOwn: 0, defaults: GPTQConfig.defaultWeights)
            if c.weights.fit != .minmax {
                r.error("gptq chooses its own codes; fit: \(c.weights.fit.rawValue) does not apply — remove 'fit'",
                        at: locations["weights.fit"] ?? base.location)
            }
            if c.weights.granularity == .perTensor {
                r.error("gptq quantizes per-channel or per-group; granularity per-tensor is not supported — use per-channel",
                        at: locations["weights.granularity"] ?? base.location)
            }
            if let v = positive("damping", "a positive number (a fraction of the mean Hessian diagonal), e.g. damping: 0.01") { c.damping = v }
            if let v = bool("act_order") { c.actOrder = v }
            if let v = int("block_size", 1...4096, "between 1 and 4096") { c.blockSize = v }
            return .gptq(c)
        default: // mixed-precision
            let written = ["max_size_mb", "bits_per_weight"].filter { f[$0] != nil }
            guard written.count == 1 else {
                if written.isEmpty {
                    r.error("mixed-precision needs a budget: 'max_size_mb' (e.g. max_size_mb: 4) or 'bits_per_weight' (e.g. bits_per_weight: 6)",
                            at: base.location)
                } else {
                    r.error("give one budget, 'max_size_mb' or 'bits_per_weight', not both", at: f[written[1]]!.keyLocation)
                }
                return nil
            }
            let budget: MixedPrecisionConfig.Budget
            if written[0] == "max_size_mb" {
                guard let v = positive("max_size_mb", "a positive size in MiB, e.g. max_size_mb: 4") else { return nil }
                budget = .maxSizeMB(v)
            } else {
                guard let v = positive("bits_per_weight", "a positive number of bits, e.g. bits_per_weight: 6") else { return nil }
                budget = .bitsPerWeight(v)
            }
            var c = MixedPrecisionConfig(selection: selection, budget: budget, samples: samples)
            if let e = f["candidates"] {
                guard let items = e.value.items, !items.isEmpty else {
                    r.error("'candidates' must be a non-empty list of bit widths among 4, 8, 16, e.g. candidates: [4, 8]", at: e.value.location)
                    return nil
                }
                var bits: [Int] = []
                for item in items {
                    guard let v = r.int(item, "each item of 'candidates'") else { return nil }
                    guard MixedPrecisionConfig.knownBits.contains(v.value) else {
                        r.error("candidate \(v.value) bits is not one of 4 (int4 per-group), 8 (int8 per-channel), 16 (float16)", at: v.location)
                        return nil
                    }
                    bits.append(v.value)
                }
                c.candidates = Array(Set(bits)).sorted()
                if c.candidates.count < 2 {
                    r.error("'candidates' needs at least two different bit widths to choose between; for one width use quantize or cast",
                            at: e.value.location)
                    return nil
                }
            }
            if let e = f["group"], let g = r.int(e.value, "'group'") {
                if g.value >= 2 && g.value % 2 == 0 { c.group = g.value } else {
                    r.error("'group' must be an even integer ≥ 2 (values per scale of the 4-bit candidate), got \(g.value)", at: g.location)
                }
            }
            return .mixedPrecision(c)
        }
    }

    /// prune's channel keys on top of a resolved prune config.
    mutating func resolvePruneStructure(_ layers: [PartialPass], _ config: inout PruneConfig) -> Bool {
        let f = merged(layers)
        for (k, e) in f { locations[k] = e.value.location }
        if let e = f["structure"], let v = r.choice(e.value, "'structure'", PruneStructure.self) { config.structure = v.value }
        if let e = f["importance"], let v = r.choice(e.value, "'importance'", PruneImportance.self) { config.importance = v.value }
        if let e = f["round_to"], let v = r.int(e.value, "'round_to'", range: 1...4096, rangeText: "between 1 and 4096") { config.roundTo = v.value }
        guard config.structure == .channels else {
            for key in ["importance", "round_to"] where f[key] != nil {
                r.error("'\(key)' applies only to structure: channels; add structure: channels or remove '\(key)'", at: f[key]!.keyLocation)
                return false
            }
            return true
        }
        if config.pattern != nil {
            r.error("structure: channels removes whole channels; an N:M 'pattern' zeroes weights within rows — use 'sparsity' (the fraction of channels removed)",
                    at: locations["pattern"] ?? layers[0].location)
            return false
        }
        if config.scope == .global, locations["scope"] != nil {
            r.error("structure: channels prunes each channel space on its own; remove 'scope'", at: locations["scope"]!)
            return false
        }
        return true
    }
}
