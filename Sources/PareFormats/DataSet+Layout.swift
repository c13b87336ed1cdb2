import PareTensor

extension DataSet {
    /// The validated layout of a data set's keys.
    struct Layout {
        var count: Int
        var inputs: [DataSetInput]
        var label: DataSetInput?
        var keys: [[String: String]]
    }

    /// Checks `keys` against the data set rules (see `DataSet`) and returns the layout.
    /// - Throws: `FormatError` naming `path` and the first offending key, and what to do.
    static func layout(keys: [String], spec: (String) -> (DType, Shape), labelKey: String, path: String) throws -> Layout {
        func fail(_ key: String?, _ m: String) -> FormatError {
            FormatError(file: path, message: (key.map { "key '\($0)': " } ?? "") + m)
        }
        let convention = "data set keys are NNNN.<input name> (sample number, a dot, the model input's name, e.g. '0000.image'), with an optional NNNN.\(labelKey) label"
        guard !keys.isEmpty else { throw fail(nil, "has no samples; \(convention)") }
        var table: [Int: [String: String]] = [:]
        for key in keys {
            guard let k = DataSetKey(key) else { throw fail(key, "does not follow the data set convention: \(convention); rename it") }
            if let other = table[k.sample]?[k.input] {
                throw fail(key, "names the same sample and input as '\(other)'; keep one of them")
            }
            table[k.sample, default: [:]][k.input] = key
        }
        let count = table.count
        if let missing = (0..<count).first(where: { table[$0] == nil }) {
            let highest = table.keys.max()!
            throw fail(nil, "samples must be numbered 0 to \(count - 1) without gaps, but sample \(missing) is missing (the highest is \(highest)); renumber the keys")
        }
        let first = table[0]!
        var specs: [String: (DType, Shape)] = [:]
        for (input, key) in first { specs[input] = spec(key) }
        for s in 1..<max(count, 1) {
            let keysHere = table[s]!
            for (input, key) in keysHere.sorted(by: { $0.key < $1.key }) {
                guard let want = specs[input] else {
                    throw fail(key, "sample \(s) has \(describe(input, labelKey)) that sample 0 lacks; every sample must have the same inputs (sample 0 has \(first.keys.sorted().joined(separator: ", ")))")
                }
                let got = spec(key)
                guard got.0 == want.0, got.1 == want.1 else {
                    throw fail(key, "is \(got.0) \(got.1) but '\(first[input]!)' is \(want.0) \(want.1); every sample's '\(input)' must have the same dtype and shape")
                }
            }
            for (input, key) in first.sorted(by: { $0.key < $1.key }) where keysHere[input] == nil {
                throw fail(key, "has no counterpart in sample \(s) (no key '\(padded(s)).\(input)'); every sample must have the same inputs")
            }
        }
        let inputs = specs.filter { $0.key != labelKey }.map { DataSetInput(name: $0.key, dtype: $0.value.0, shape: $0.value.1) }
            .sorted { $0.name < $1.name }
        guard !inputs.isEmpty else { throw fail(nil, "has labels but no inputs; \(convention)") }
        let label = specs[labelKey].map { DataSetInput(name: labelKey, dtype: $0.0, shape: $0.1) }
        return Layout(count: count, inputs: inputs, label: label, keys: (0..<count).map { table[$0]! })
    }

    /// `n` with at least four digits, as data sets usually number samples (`0007`).
    private static func padded(_ n: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }

    private static func describe(_ input: String, _ labelKey: String) -> String {
        input == labelKey ? "a label ('\(labelKey)')" : "the input '\(input)'"
    }
}
