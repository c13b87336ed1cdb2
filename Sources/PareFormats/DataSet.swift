import PareTensor

/// A calibration or evaluation data set: an `.npz` or a safetensors file whose keys are `NNNN.<input name>`
/// (see `DataSetKey`), optionally with a label per sample under `NNNN.<labelKey>` (`__label__` by default).
///
/// Opening checks the layout before any data is read (errors name the file and the offending key, see
/// `DataSet+Layout.swift`): every key follows the convention; the samples are numbered 0…N−1 without gaps or
/// duplicates (N ≥ 1); every sample has the same set of inputs (and a label either in every sample or in
/// none); each input (and the label) has the same dtype and shape in every sample.
///
/// The format is chosen by the file's first bytes: `PK` is an `.npz` (zip); a `.npy` array, or a file named
/// `*.npz` that is not a zip, is an error; anything else is read as safetensors.
public final class DataSet: @unchecked Sendable {
    public let path: String
    /// The key suffix holding labels (`__label__` unless given).
    public let labelKey: String
    /// Number of samples.
    public let sampleCount: Int
    /// The inputs (labels excluded), sorted by name.
    public let inputs: [DataSetInput]
    /// The label's dtype and shape (named `labelKey`), or nil when the samples carry no labels.
    public let label: DataSetInput?
    let source: DataSetSource
    /// keys[sample][input name] → the key as stored (leading zeros as written).
    private let keyTable: [[String: String]]

    public static let defaultLabelKey = "__label__"

    /// Opens and validates the data set at `path`.
    /// - Throws: `FormatError` naming the file (and key) when it cannot be read, is not a valid `.npz` or
    ///   safetensors file, or does not follow the data set conventions.
    public init(path: String, labelKey: String = DataSet.defaultLabelKey) throws {
        self.path = path
        self.labelKey = labelKey
        let magic = try FileReader(path: path).read(offset: 0, upTo: 6)
        if magic == NPYHeader.magic {
            throw FormatError(file: path, message: "is a single .npy array; a data set is an .npz (numpy.savez) or safetensors file with keys NNNN.<input name>")
        }
        if magic.starts(with: [0x50, 0x4B]) {
            source = .npz(try NPZFile(path: path))
        } else if path.hasSuffix(".npz") {
            throw FormatError(file: path, message: "is not a zip archive (it does not start with 'PK'), so not an .npz; write it with numpy.savez")
        } else {
            source = .safetensors(try SafetensorsFile(path: path))
        }
        let layout = try DataSet.layout(keys: source.keys, spec: source.spec, labelKey: labelKey, path: path)
        sampleCount = layout.count
        inputs = layout.inputs
        label = layout.label
        keyTable = layout.keys
    }

    /// True when the file is an `.npz` (false: safetensors).
    public var isNPZ: Bool { if case .npz = source { return true } else { return false } }

    /// The input names, sorted.
    public var inputNames: [String] { inputs.map(\.name) }

    /// The key under which sample `index`'s array for `input` (an input name or `labelKey`) is stored.
    public func key(sample index: Int, input: String) -> String? {
        guard index >= 0, index < sampleCount else { return nil }
        return keyTable[index][input]
    }

    /// Sample `index`'s inputs by name (labels excluded).
    /// - Throws: `FormatError` when a member is corrupt (CRC mismatch, bad deflate data).
    public func sample(_ index: Int) throws -> [String: NPYArray] {
        precondition(index >= 0 && index < sampleCount, "sample \(index) of \(sampleCount) in \(path)")
        var out: [String: NPYArray] = [:]
        for input in inputs { out[input.name] = try source.array(keyTable[index][input.name]!) }
        return out
    }

    /// Sample `index`'s label, or nil when the data set has no labels.
    public func label(_ index: Int) throws -> NPYArray? {
        precondition(index >= 0 && index < sampleCount, "sample \(index) of \(sampleCount) in \(path)")
        guard label != nil else { return nil }
        return try source.array(keyTable[index][labelKey]!)
    }

    /// Sample `index`'s inputs as Float (see `NPYArray.floats()`), by name.
    public func floatSample(_ index: Int) throws -> [String: [Float]] {
        try sample(index).mapValues { $0.floats() }
    }
}
