import PareBasics

extension RecipeDecoder {
    static let dataKeys = ["calibration", "evaluation"]
    static let dataSetKeys = ["path", "samples", "seed", "labels"]
    static let gateKeys = ["min", "max", "relative"]

    /// The `data:` section.
    func data(_ node: YAMLNode) -> DataSpec {
        var spec = DataSpec()
        guard let entries = r.mapping(node, "'data'", example: "data: { calibration: { path: ../data/calib.npz } }") else { return spec }
        r.checkKeys(entries, allowed: Self.dataKeys, in: "data")
        for e in entries {
            switch e.key {
            case "calibration": spec.calibration = dataSet(e.value, context: "data.calibration")
            case "evaluation": spec.evaluation = dataSet(e.value, context: "data.evaluation")
            default: break
            }
        }
        return spec
    }

    private func dataSet(_ node: YAMLNode, context: String) -> DataSetSpec? {
        // A bare path is accepted: `calibration: ../data/calib.npz`.
        if let s = node.scalar, s.kind != .null, !s.text.isEmpty {
            return DataSetSpec(path: PathUtil.join(PathUtil.dirname(node.location.file), s.text), givenPath: s.text, location: node.location)
        }
        guard let entries = r.mapping(node, "'\(context)'", example: "\(context.split(separator: ".").last!): { path: ../data/set.npz, samples: 64, seed: 0 }") else { return nil }
        let suggested = r.checkKeys(entries, allowed: Self.dataSetKeys, in: context)
        var samples: Int?, seed: UInt64 = 0, labels = "__label__"
        var ok = true
        for e in entries {
            switch e.key {
            case "samples":
                if let n = r.int(e.value, "'samples'", range: 1...Int.max, rangeText: "at least 1") { samples = n.value } else { ok = false }
            case "seed":
                if let n = r.int(e.value, "'seed'", range: 0...Int.max, rangeText: "0 or more") { seed = UInt64(n.value) } else { ok = false }
            case "labels":
                if let s = r.string(e.value, "'labels'", example: "labels: __label__") { labels = s.value } else { ok = false }
            default: break
            }
        }
        guard let p = node["path"] else {
            if !suggested.contains("path") { r.missing("path", in: context, at: node.location, example: "path: ../data/set.npz") }
            return nil
        }
        guard let given = r.string(p.value, "'path'", example: "path: ../data/set.npz"), ok else { return nil }
        return DataSetSpec(path: PathUtil.join(PathUtil.dirname(given.location.file), given.value), givenPath: given.value,
                           samples: samples, seed: seed, labels: labels, location: given.location)
    }

    /// The `gates:` section: `metric: { min: x, max: y, relative: bool }` entries.
    func gates(_ node: YAMLNode) -> [Gate] {
        guard let entries = r.mapping(node, "'gates'", example: "gates: { cosine_mean: { min: 0.99 } }") else { return [] }
        let names = GateMetric.allCases.map(\.rawValue)
        var out: [Gate] = []
        for e in entries {
            guard let metric = GateMetric(rawValue: e.key) else {
                r.error(NodeReader.unknown("gate metric", e.key, in: "gates", candidates: names), at: e.keyLocation)
                continue
            }
            guard let fields = r.mapping(e.value, "gate '\(e.key)'", example: "\(e.key): { min: 0.99 }") else { continue }
            r.checkKeys(fields, allowed: Self.gateKeys, in: "gates.\(e.key)")
            var gate = Gate(metric: metric, location: e.keyLocation)
            var ok = fields.allSatisfy { Self.gateKeys.contains($0.key) }
            for f in fields {
                switch f.key {
                case "min": if let n = r.number(f.value, "'min'") { gate.min = n.value } else { ok = false }
                case "max": if let n = r.number(f.value, "'max'") { gate.max = n.value } else { ok = false }
                case "relative":
                    if let b = r.bool(f.value, "'relative'") {
                        gate.relative = b.value
                        if b.value && !metric.allowsRelative {
                            r.error("gate '\(e.key)' cannot be relative: the float model compared with itself has no useful \(e.key); "
                                    + "use an absolute bound (relative works for accuracy and size_mb)", at: b.location)
                            ok = false
                        }
                    } else { ok = false }
                default: break
                }
            }
            if ok, gate.min == nil, gate.max == nil {
                r.error("gate '\(e.key)' needs 'min' or 'max'; e.g. \(e.key): { min: 0.99 }", at: e.keyLocation)
                ok = false
            }
            if ok, let lo = gate.min, let hi = gate.max, lo > hi {
                r.error("gate '\(e.key)' has min \(lo) above max \(hi); no value can pass", at: e.keyLocation)
                ok = false
            }
            if ok { out.append(gate) }
        }
        return out
    }

    /// Rules between `data`, `gates` and the passes, checked once everything is read.
    func checkDataUse(data: DataSpec, gates: [Gate], passes: [PassSpec], perTarget: [String: [PassSpec]]) {
        for g in gates where g.metric.needsEvaluation && data.evaluation == nil {
            r.error("gate '\(g.metric.rawValue)' is measured on the evaluation set, but the recipe has no data.evaluation; "
                    + "add data: { evaluation: { path: ../data/eval.npz } }", at: g.location)
        }
        var reported = Set<String>()
        for spec in passes + perTarget.keys.sorted().flatMap({ perTarget[$0]! }) {
            if spec.config.needsCalibration, data.calibration == nil, reported.insert("cal:\(spec.id)").inserted {
                let why: String
                switch spec.config {
                case .gptq: why = "builds each layer's input Hessian from calibration data"
                case .distill: why = "re-fits layers to the original model's outputs on calibration data"
                case .mixedPrecision: why = "measures each layer's sensitivity on calibration data"
                default: why = "ranks channels by their activations on calibration data"
                }
                r.error("'\(spec.id)' \(why), but the recipe has no data.calibration; add data: { calibration: { path: ../data/calib.npz, samples: 64 } }",
                        at: spec.location(of: "importance"))
            }
            guard case .quantize(let q) = spec.config else { continue }
            if case .calibrated? = q.activations, data.calibration == nil, reported.insert("cal:\(spec.id)").inserted {
                r.error("'\(spec.id)' quantizes activations from calibration data, but the recipe has no data.calibration; "
                        + "add data: { calibration: { path: ../data/calib.npz, samples: 64 } } or use activations: dynamic",
                        at: spec.location(of: "activations"))
            }
            if let f = q.fallback, f.maxLayers > 0, gates.isEmpty, reported.insert("fb:\(spec.id)").inserted {
                r.error("'\(spec.id)' has a fallback policy but the recipe has no gates to pass; add gates: (e.g. cosine_mean: { min: 0.99 }) or remove fallback",
                        at: spec.location(of: "fallback"))
            }
            if q.fallback != nil, data.evaluation == nil, reported.insert("fbe:\(spec.id)").inserted {
                r.error("'\(spec.id)' has a fallback policy, which measures each layer on the evaluation set, but the recipe has no data.evaluation",
                        at: spec.location(of: "fallback"))
            }
        }
    }
}
