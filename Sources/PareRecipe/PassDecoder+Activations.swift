import PareBasics

extension PassDecoder {
    static let activationKeys = ["dtype", "symmetric", "method", "percentile", "fragile", "overrides"]
    static let activationOverrideKeys = ["match", "precision"]

    /// `activations: dynamic` or a mapping of `ActivationQuantSpec` fields. Nil when invalid (reported).
    static func activations(_ node: YAMLNode, context: String, _ r: NodeReader) -> Located<ActivationsSetting>? {
        if let s = node.scalar, s.kind != .null {
            if s.text == "dynamic" { return Located(.dynamic, at: node.location) }
            r.error("'activations' must be 'dynamic' or a mapping such as { dtype: uint8, method: mse }, got '\(s.text)'"
                    + Suggestion.hint(for: s.text, in: ["dynamic"]), at: node.location)
            return nil
        }
        guard let entries = r.mapping(node, "'activations'", example: "activations: { dtype: uint8, method: mse }") else { return nil }
        r.checkKeys(entries, allowed: activationKeys, in: context)
        var ok = entries.allSatisfy { activationKeys.contains($0.key) }
        var dtype = ActivationDType.auto, symmetric: Bool?, method = ActivationRangeChoice.mse
        var percentile: Located<Double>?, fragile = FragilePolicy.keep
        var overrides: [ActivationOverride] = []
        for e in entries {
            let v = e.value
            switch e.key {
            case "dtype":
                if let c = r.choice(v, "'dtype'", ActivationDType.self) { dtype = c.value } else { ok = false }
            case "symmetric":
                if let s = v.scalar, s.text == "auto" { symmetric = nil }
                else if let b = r.bool(v, "'symmetric'") { symmetric = b.value } else { ok = false }
            case "method":
                if let c = r.choice(v, "'method'", ActivationRangeChoice.self) { method = c.value } else { ok = false }
            case "percentile":
                if let n = r.number(v, "'percentile'", expected: "a number in (0, 100]") {
                    if n.value > 0 && n.value <= 100 { percentile = n } else {
                        r.error("'percentile' must be in (0, 100] (the % of values kept inside the range), got \(n.value); e.g. percentile: 99.99",
                                at: n.location)
                        ok = false
                    }
                } else { ok = false }
            case "fragile":
                if let c = r.choice(v, "'fragile'", FragilePolicy.self) { fragile = c.value } else { ok = false }
            case "overrides":
                guard let items = v.items else {
                    r.error("'overrides' must be a list of '- match: ...' items, got \(v.describe)", at: v.location)
                    ok = false
                    continue
                }
                for (i, item) in items.enumerated() {
                    guard let fields = r.mapping(item, "each activation override", example: "- { match: \"*softmax*\", precision: float }") else {
                        ok = false
                        continue
                    }
                    r.checkKeys(fields, allowed: activationOverrideKeys, in: "\(context).overrides[\(i)]")
                    if !fields.allSatisfy({ activationOverrideKeys.contains($0.key) }) { ok = false }
                    var match: [Glob]?, precision: ActivationPrecision?
                    for f in fields {
                        if f.key == "match", let l = r.stringList(f.value, "'match'", allowSingle: true, allowEmpty: false, example: "match: \"*softmax*\"") {
                            match = l.value.map { Glob($0.value) }
                        }
                        if f.key == "precision", let c = r.choice(f.value, "'precision'", ActivationPrecision.self) { precision = c.value }
                    }
                    if let match, let precision { overrides.append(ActivationOverride(match: match, precision: precision)) } else {
                        if !fields.contains(where: { $0.key == "match" }) {
                            r.missing("match", in: "\(context).overrides[\(i)]", at: item.location, example: "match: \"*softmax*\"")
                        }
                        if !fields.contains(where: { $0.key == "precision" }) {
                            r.missing("precision", in: "\(context).overrides[\(i)]", at: item.location, example: "precision: float")
                        }
                        ok = false
                    }
                }
            default: break
            }
        }
        if let percentile, method != .percentile {
            r.error("'percentile' applies only to method: percentile (method is \(method.rawValue)); remove it or set method: percentile",
                    at: percentile.location)
            ok = false
        }
        guard ok else { return nil }
        return Located(.calibrated(ActivationQuantSpec(dtype: dtype, symmetric: symmetric, method: method,
                                                       percentile: percentile?.value ?? ActivationQuantSpec.defaultPercentile,
                                                       fragile: fragile, overrides: overrides)), at: node.location)
    }

    /// `fallback: { max_layers: N }` (or `fallback: true` for the defaults).
    static func fallback(_ node: YAMLNode, context: String, _ r: NodeReader) -> Located<FallbackSpec>? {
        if let s = node.scalar, s.text == "true" { return Located(FallbackSpec(), at: node.location) }
        guard let entries = r.mapping(node, "'fallback'", example: "fallback: { max_layers: 4 }") else { return nil }
        r.checkKeys(entries, allowed: ["max_layers"], in: context)
        guard entries.allSatisfy({ $0.key == "max_layers" }) else { return nil }
        var spec = FallbackSpec()
        for e in entries where e.key == "max_layers" {
            guard let n = r.int(e.value, "'max_layers'", range: 0...100_000, rangeText: "0 (sensitivity table only) or more") else { return nil }
            spec.maxLayers = n.value
        }
        return Located(spec, at: node.location)
    }
}
