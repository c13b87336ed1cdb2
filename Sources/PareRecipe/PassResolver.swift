import PareBasics

/// Merges `PartialPass` layers (the pass as written, then any per_target layer on top) into a resolved
/// `PassConfig`, filling defaults, checking rules that span fields, and recording where each field came from.
///
/// Merge rule: for every field the topmost layer that writes it wins; `overrides` and glob lists are replaced
/// as a whole. Rules between fields are judged per layer, so a per_target layer can switch a pass over without
/// tripping on what the layer below wrote: writing `granularity: per-tensor` drops a lower layer's `group`,
/// writing `pattern` drops a lower layer's `sparsity` (and `scope`), and vice versa.
struct PassResolver {
    let r: NodeReader
    var locations: [String: SourceLocation] = [:]

    init(_ r: NodeReader) { self.r = r }

    /// The resolved config and field locations, or nil when a required field is missing (already reported).
    mutating func resolve(_ layers: [PartialPass]) -> PassConfig? {
        precondition(!layers.isEmpty)
        let base = layers[0]
        if let id = base.id { locations["id"] = id.location }
        let selection = resolveSelection(layers.map(\.selection))
        switch base.name {
        case "quantize":
            let weightLayers = layers.compactMap(\.weights)
            let weights = resolveWeights(weightLayers, path: "weights", firstOwn: 0)
            var overrides: [QuantOverride] = []
            if let list = layers.last(where: { $0.overrides != nil })?.overrides {
                locations["overrides"] = list.location
                for (i, o) in list.value.enumerated() {
                    if let q = resolveOverride(o, index: i, base: weightLayers) { overrides.append(q) }
                }
            }
            var activations: ActivationsSetting?
            if let a = layers.last(where: { $0.activations != nil })?.activations {
                activations = a.value
                locations["activations"] = a.location
            }
            var fallback: FallbackSpec?
            if let f = layers.last(where: { $0.fallback != nil })?.fallback {
                fallback = f.value
                locations["fallback"] = f.location
            }
            var config = QuantizeConfig(selection: selection, weights: weights, overrides: overrides,
                                        activations: activations, fallback: fallback)
            if let q = layers.last(where: { $0.requantize != nil })?.requantize {
                config.requantize = q.value
                locations["requantize"] = q.location
            }
            return .quantize(config)
        case "cast":
            guard let dtype = layers.last(where: { $0.castDType != nil })?.castDType else {
                if layers.contains(where: { $0.invalidKeys.contains("dtype") }) { return nil }
                r.error("cast needs 'dtype' (fp16 or bf16); e.g. - cast: { dtype: fp16 }", at: base.location)
                return nil
            }
            locations["dtype"] = dtype.location
            var compute = CastCompute.float32
            if let c = layers.last(where: { $0.castCompute != nil })?.castCompute {
                compute = c.value
                locations["compute"] = c.location
                if compute == .float16 && dtype.value != .fp16 {
                    r.error("compute: float16 needs dtype: fp16 (got \(dtype.value.rawValue)); set dtype: fp16 or drop compute", at: c.location)
                    return nil
                }
            }
            return .cast(CastConfig(selection: selection, dtype: dtype.value, compute: compute))
        case "prune":
            return resolvePrune(layers, selection: selection)
        default:
            return resolveCatalog(layers, selection: selection)
        }
    }

    mutating func resolveSelection(_ layers: [PartialSelection]) -> TensorSelection {
        var s = TensorSelection()
        if let v = layers.last(where: { $0.include != nil })?.include { s.include = v.value; locations["include"] = v.location }
        if let v = layers.last(where: { $0.exclude != nil })?.exclude { s.exclude = v.value; locations["exclude"] = v.location }
        if let v = layers.last(where: { $0.minElements != nil })?.minElements {
            s.minElements = v.value; locations["min_elements"] = v.location
        }
        if let v = layers.last(where: { $0.keep1D != nil })?.keep1D { s.keep1D = v.value; locations["keep_1d"] = v.location }
        return s
    }

    /// Merges weight layers. Layers from `firstOwn` on are the ones being resolved here: their `group` rule is
    /// checked and their fields are recorded under `path`; lower layers only supply inherited values.
    mutating func resolveWeights(_ layers: [PartialWeights], path: String, firstOwn: Int,
                                 defaults: WeightQuantSpec = WeightQuantSpec()) -> WeightQuantSpec {
        var dtype = defaults.dtype, granularity = defaults.granularity
        var group = defaults.group, symmetric = defaults.symmetric, fit = defaults.fit
        var groupLoc: SourceLocation?, fitLoc: SourceLocation?, granularityLoc: SourceLocation?
        for (i, w) in layers.enumerated() {
            let own = i >= firstOwn
            if own { locations[path] = w.location }
            if let v = w.dtype { dtype = v.value; if own { locations["\(path).dtype"] = v.location } }
            if let v = w.granularity {
                granularity = v.value
                granularityLoc = own ? v.location : nil
                if own { locations["\(path).granularity"] = v.location }
            }
            if let v = w.group {
                if own && granularity != .perGroup {
                    let origin = w.granularity != nil ? "" : " (\(layers[..<i].contains { $0.granularity != nil } ? "inherited" : "the default"))"
                    r.error("'group' applies only to granularity per-group, but the granularity here is \(granularity.rawValue)\(origin); "
                            + "remove 'group' or write granularity: per-group", at: v.location)
                }
                group = v.value
                groupLoc = own ? v.location : nil
            }
            if let v = w.symmetric { symmetric = v.value; if own { locations["\(path).symmetric"] = v.location } }
            if let v = w.fit {
                fit = v.value
                fitLoc = own ? v.location : nil
                if own { locations["\(path).fit"] = v.location }
            }
        }
        if granularity == .perGroup, let groupLoc { locations["\(path).group"] = groupLoc }
        if fit == .mse, granularity == .perTensor, let at = fitLoc ?? granularityLoc {
            r.error("fit: mse searches each channel's or group's scale and needs granularity per-channel or per-group, "
                    + "but the granularity here is per-tensor; use per-channel, or fit: minmax", at: at)
        }
        return WeightQuantSpec(dtype: dtype, granularity: granularity, group: group, symmetric: symmetric, fit: fit)
    }

    private mutating func resolveOverride(_ o: PartialOverride, index i: Int, base: [PartialWeights]) -> QuantOverride? {
        let path = "overrides[\(i)]"
        locations[path] = o.location
        var ok = true
        if let m = o.match { locations["\(path).match"] = m.location } else if o.invalidMatch { ok = false } else {
            r.error("override \(i + 1) needs 'match' (a glob or list of globs naming the tensors it applies to); "
                    + "e.g. match: \"*attn*\"", at: o.location)
            ok = false
        }
        if let s = o.skip {
            locations["\(path).skip"] = s.location
            if s.value, o.weights != nil {
                r.error("override \(i + 1) has skip: true, which leaves its tensors unquantized, and also 'weights'; remove one of them",
                        at: s.location)
            }
        }
        let layers = base + (o.weights.map { [$0] } ?? [])
        let weights = resolveWeights(layers, path: "\(path).weights", firstOwn: o.weights == nil ? layers.count : base.count)
        guard ok, let match = o.match else { return nil }
        return QuantOverride(match: match.value, weights: weights, skip: o.skip?.value ?? false)
    }

    private mutating func resolvePrune(_ layers: [PartialPass], selection: TensorSelection) -> PassConfig? {
        let base = layers[0]
        var config = PruneConfig(selection: selection)
        if let m = layers.last(where: { $0.method != nil })?.method { config.method = m.value; locations["method"] = m.location }
        guard let deciding = layers.lastIndex(where: { $0.sparsity != nil || $0.pattern != nil }) else {
            if layers.contains(where: { !$0.invalidKeys.isDisjoint(with: ["sparsity", "pattern"]) }) { return nil }
            r.error("prune needs either 'sparsity' (the fraction of weights to zero, or of channels to remove with structure: channels, e.g. sparsity: 0.5) "
                    + "or 'pattern' (N:M structured sparsity, e.g. pattern: \"2:4\")", at: base.location)
            return nil
        }
        let top = layers[deciding]
        if top.sparsity != nil, let p = top.pattern {
            r.error("give either 'sparsity' or 'pattern', not both: sparsity zeroes a fraction of weights anywhere, "
                    + "pattern zeroes M−N of every M; remove one", at: p.location)
            return nil
        }
        if let p = top.pattern {
            config.pattern = p.value
            locations["pattern"] = p.location
            if let scopeLayer = layers.lastIndex(where: { $0.scope != nil }), scopeLayer >= deciding, let sc = layers[scopeLayer].scope {
                r.error("'scope' applies only with 'sparsity'; an N:M pattern works within each row, so remove 'scope'", at: sc.location)
            }
        } else if let s = top.sparsity {
            config.sparsity = s.value
            locations["sparsity"] = s.location
            if let sc = layers.last(where: { $0.scope != nil })?.scope { config.scope = sc.value; locations["scope"] = sc.location }
        }
        guard resolvePruneStructure(layers, &config) else { return nil }
        return .prune(config)
    }
}
