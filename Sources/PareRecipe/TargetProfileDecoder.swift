import PareBasics

/// Turns a parsed target profile into a `TargetProfile`, reporting every problem through the reader.
struct TargetProfileDecoder {
    let r: NodeReader
    let file: String
    var locations: [String: SourceLocation] = [:]
    /// Keys that an unknown key was taken for (not reported again as missing).
    var suggested: Set<String> = []

    static let keys = ["target", "name", "kind", "vendor", "weights", "activations", "sparsity", "memory_mb", "compute",
                       "bandwidth_gbs", "formats", "runtime_ops", "sources"]
    static let weightKeys = ["dtypes", "granularities", "group_sizes", "symmetric_only", "lut_bits"]
    static let activationKeys = ["dtypes", "static_only", "symmetric_only"]
    static let computeUnits = ["tops", "gops", "tflops", "gflops"]
    static let formats = ["safetensors", "onnx", "gguf"]

    init(reader: NodeReader, file: String) {
        self.r = reader
        self.file = file
    }

    mutating func decode(_ root: YAMLNode) -> TargetProfile? {
        guard let entries = r.mapping(root, "a target profile", example: "target: my-device") else { return nil }
        suggested = r.checkKeys(entries, allowed: Self.keys, in: "the target profile")
        for e in entries { locations[e.key] = e.value.location }
        let expectedID = String(PathUtil.basename(file).dropLast(".yaml".count))

        let id = required("target", root, example: "target: \(expectedID)") { r.string($0, "'target'") }
        if let id, id.value != expectedID {
            r.error("target '\(id.value)' must equal the file name without .yaml ('\(expectedID)'); rename one of them", at: id.location)
        }
        let name = required("name", root, example: "name: My Device") { r.string($0, "'name'") }
        let kind = required("kind", root, example: "kind: npu") { r.choice($0, "'kind'", TargetKind.self) }
        let vendor = required("vendor", root, example: "vendor: Acme") { r.string($0, "'vendor'") }
        let weights = required("weights", root, example: "weights: { dtypes: [int8], granularities: [per-channel] }") {
            self.weights($0)
        }
        let activations = root["activations"].map { self.activations($0.value) } ?? ActivationSupport()
        let patterns = root["sparsity"].map { self.sparsity($0.value) } ?? []
        let memory = required("memory_mb", root, example: "memory_mb: 1024") { positive($0, "'memory_mb'") }
        let compute = root["compute"].map { self.compute($0.value) } ?? [:]
        let bandwidth = root["bandwidth_gbs"].flatMap { positive($0.value, "'bandwidth_gbs'") }
        let formats = required("formats", root, example: "formats: [onnx]") {
            names($0, "'formats'", allowed: Self.formats, allowEmpty: false)
        }
        let ops = root["runtime_ops"].flatMap { r.stringList($0.value, "'runtime_ops'") }?.value.map(\.value) ?? []
        let sources = required("sources", root, example: "sources: [\"https://vendor.example/datasheet.pdf\"]") {
            r.stringList($0, "'sources'", allowEmpty: false, example: "sources: [\"https://vendor.example/datasheet.pdf\"]")
        }
        guard let id, let name, let kind, let vendor, let weights, let memory, let formats, let sources else { return nil }
        return TargetProfile(id: id.value, name: name.value, kind: kind.value, vendor: vendor.value, weights: weights,
                             activations: activations, sparsityPatterns: patterns, memoryMB: memory.value, compute: compute,
                             bandwidthGBs: bandwidth?.value, formats: formats, runtimeOps: ops,
                             sources: sources.value.map(\.value), file: file, fieldLocations: locations)
    }

    private func required<T>(_ key: String, _ root: YAMLNode, example: String, _ read: (YAMLNode) -> T?) -> T? {
        guard let e = root[key] else {
            if !suggested.contains(key) { r.missing(key, in: "the target profile", at: root.location, example: example) }
            return nil
        }
        return read(e.value)
    }

    private func positive(_ node: YAMLNode, _ what: String) -> Located<Double>? {
        guard let n = r.number(node, what, expected: "a positive number") else { return nil }
        guard n.value > 0 else {
            r.error("\(what) must be a positive number, got \(node.scalar?.text ?? "\(n.value)")", at: n.location)
            return nil
        }
        return n
    }

    /// A list of names from a fixed vocabulary, without repeats.
    private func names(_ node: YAMLNode, _ what: String, allowed: [String], allowEmpty: Bool = true) -> [String]? {
        guard let list = r.stringList(node, what, allowEmpty: allowEmpty) else { return nil }
        var out: [String] = []
        for item in list.value {
            if !allowed.contains(item.value) {
                r.error("\(what) has '\(item.value)', which is not one of \(allowed.joined(separator: ", "))"
                        + Suggestion.hint(for: item.value, in: allowed), at: item.location)
            } else if out.contains(item.value) {
                r.error("\(what) lists '\(item.value)' twice; remove the repeat", at: item.location)
            } else {
                out.append(item.value)
            }
        }
        return out
    }

    private mutating func weights(_ node: YAMLNode) -> WeightSupport? {
        guard let entries = r.mapping(node, "'weights'", example: "weights: { dtypes: [int8], granularities: [per-channel] }") else {
            return nil
        }
        let suggestedHere = r.checkKeys(entries, allowed: Self.weightKeys, in: "weights")
        for e in entries { locations["weights.\(e.key)"] = e.value.location }
        var dtypes: [String]?
        if let e = node["dtypes"] { dtypes = names(e.value, "'weights.dtypes'", allowed: WeightSupport.knownDTypes, allowEmpty: false) }
        else if !suggestedHere.contains("dtypes") { r.missing("dtypes", in: "weights", at: node.location, example: "dtypes: [int8]") }
        var granularities: [WeightGranularity]?
        if let e = node["granularities"] {
            let all = WeightGranularity.allCases.map(\.rawValue)
            granularities = names(e.value, "'weights.granularities'", allowed: all, allowEmpty: false)?.compactMap(WeightGranularity.init(rawValue:))
        } else if !suggestedHere.contains("granularities") {
            r.missing("granularities", in: "weights", at: node.location, example: "granularities: [per-tensor, per-channel]")
        }
        var groupSizes: [Int] = []
        let perGroup = granularities?.contains(.perGroup) ?? false
        if let e = node["group_sizes"] {
            if let gs = granularities, !gs.contains(.perGroup) {
                r.error("'weights.group_sizes' is given but 'weights.granularities' does not list per-group; "
                        + "add per-group or remove group_sizes", at: e.keyLocation)
            }
            if let items = e.value.items, !items.isEmpty {
                for item in items {
                    if let g = r.int(item, "each group size", range: 2...Int.max, rangeText: "an even integer ≥ 2") {
                        if g.value % 2 != 0 { r.error("each group size must be an even integer ≥ 2, got \(g.value)", at: g.location) }
                        else { groupSizes.append(g.value) }
                    }
                }
            } else {
                r.error("'weights.group_sizes' must be a non-empty list of integers, got \(e.value.describe); e.g. [32, 64, 128]",
                        at: e.value.location)
            }
        } else if perGroup, !suggestedHere.contains("group_sizes") {
            r.missing("group_sizes", in: "weights (per-group is listed)", at: node.location, example: "group_sizes: [32, 64, 128]")
        }
        let symmetricOnly = node["symmetric_only"].flatMap { r.bool($0.value, "'weights.symmetric_only'") }?.value ?? false
        var lutBits: [Int] = []
        if let e = node["lut_bits"] {
            if let items = e.value.items, !items.isEmpty {
                for item in items {
                    if let b = r.int(item, "each item of 'weights.lut_bits'", range: 1...8, rangeText: "between 1 and 8") { lutBits.append(b.value) }
                }
                lutBits = Array(Set(lutBits)).sorted()
            } else {
                r.error("'weights.lut_bits' must be a non-empty list of index widths 1...8, got \(e.value.describe); e.g. [1, 2, 4, 6, 8]",
                        at: e.value.location)
            }
        }
        guard let dtypes, let granularities else { return nil }
        return WeightSupport(dtypes: dtypes, granularities: granularities, groupSizes: groupSizes, symmetricOnly: symmetricOnly,
                             lutBits: lutBits)
    }

    private mutating func activations(_ node: YAMLNode) -> ActivationSupport {
        guard let entries = r.mapping(node, "'activations'", example: "activations: { dtypes: [uint8], static_only: true }") else {
            return ActivationSupport()
        }
        r.checkKeys(entries, allowed: Self.activationKeys, in: "activations")
        for e in entries { locations["activations.\(e.key)"] = e.value.location }
        let dtypes = node["dtypes"].flatMap { names($0.value, "'activations.dtypes'", allowed: ActivationSupport.knownDTypes) } ?? []
        let staticOnly = node["static_only"].flatMap { r.bool($0.value, "'activations.static_only'") }?.value ?? false
        let symmetricOnly = node["symmetric_only"].flatMap { r.bool($0.value, "'activations.symmetric_only'") }?.value ?? false
        return ActivationSupport(dtypes: dtypes, staticOnly: staticOnly, symmetricOnly: symmetricOnly)
    }

    private mutating func sparsity(_ node: YAMLNode) -> [NMPattern] {
        guard let entries = r.mapping(node, "'sparsity'", example: "sparsity: { patterns: [\"2:4\"] }") else { return [] }
        r.checkKeys(entries, allowed: ["patterns"], in: "sparsity")
        guard let e = node["patterns"] else { return [] }
        locations["sparsity.patterns"] = e.value.location
        guard let list = r.stringList(e.value, "'sparsity.patterns'") else { return [] }
        var out: [NMPattern] = []
        for item in list.value {
            if let p = NMPattern(item.value) { out.append(p) } else {
                r.error("each sparsity pattern must be \"N:M\" with 1 ≤ N < M ≤ \(NMPattern.maxM), got \"\(item.value)\"; e.g. \"2:4\"",
                        at: item.location)
            }
        }
        return out
    }

    private mutating func compute(_ node: YAMLNode) -> [String: Double] {
        guard let entries = r.mapping(node, "'compute'", example: "compute: { int8_tops: 4 }") else { return [:] }
        var out: [String: Double] = [:]
        for e in entries {
            locations["compute.\(e.key)"] = e.value.location
            let parts = e.key.split(separator: "_")
            guard parts.count == 2, Self.computeUnits.contains(String(parts[1])),
                  ActivationSupport.knownDTypes.contains(String(parts[0])) || WeightSupport.knownDTypes.contains(String(parts[0])) else {
                r.error("compute figure '\(e.key)' must be named <dtype>_<unit> with a unit of tops, gops, tflops or gflops, "
                        + "e.g. int8_tops or fp16_tflops", at: e.keyLocation)
                continue
            }
            guard let n = r.number(e.value, "'compute.\(e.key)'", expected: "a non-negative number") else { continue }
            if n.value < 0 { r.error("'compute.\(e.key)' must not be negative, got \(n.value)", at: n.location); continue }
            out[e.key] = n.value
        }
        return out
    }
}
