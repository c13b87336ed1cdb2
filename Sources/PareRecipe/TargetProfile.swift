import PareBasics

/// One device a recipe can build for, loaded from `targets/<id>.yaml` (schema: docs/targets.md).
///
/// Codable (for hashing into action keys and for `--json` output) without `file` and `fieldLocations`, so that
/// the encoding depends only on what the profile says, not on where it was loaded from.
public struct TargetProfile: Sendable, Hashable, Codable {
    /// `target:`, equal to the file name without `.yaml`.
    public var id: String
    /// Human-readable name.
    public var name: String
    /// The kind of processor.
    public var kind: TargetKind
    /// Who makes it.
    public var vendor: String
    /// Weight encodings it runs.
    public var weights: WeightSupport
    /// Activation encodings it runs (for later issues).
    public var activations: ActivationSupport
    /// N:M patterns the hardware accelerates (`sparsity.patterns`); unstructured sparsity is always allowed
    /// (stored dense).
    public var sparsityPatterns: [NMPattern]
    /// Memory budget for the model's weights, in MiB (`memory_mb`).
    public var memoryMB: Double
    /// Peak throughput figures by name `<dtype>_<unit>`: `int8_tops` / `int8_gops` (10^12 / 10^9 int8 operations/s),
    /// `fp16_tflops` / `fp32_gflops` (10^12 / 10^9 floating-point operations/s); a multiply-accumulate counts as 2.
    public var compute: [String: Double]
    /// Memory bandwidth available to the model, in GB/s (10^9 bytes/s).
    public var bandwidthGBs: Double?
    /// Bundle formats its runtime consumes, among safetensors, onnx, gguf.
    public var formats: [String]
    /// Contrib (non-standard) ops its runtime has, e.g. `MatMulNBits`.
    public var runtimeOps: [String]
    /// Public specifications the figures come from.
    public var sources: [String]
    /// The profile path as loaded.
    public var file: String
    /// Where each field is written, by dotted path ("weights.dtypes", "memory_mb", "compute.int8_tops", ...).
    public var fieldLocations: [String: SourceLocation]

    enum CodingKeys: String, CodingKey {
        case id = "target", name, kind, vendor, weights, activations
        case sparsityPatterns = "sparsity_patterns"
        case memoryMB = "memory_mb"
        case compute
        case bandwidthGBs = "bandwidth_gbs"
        case formats
        case runtimeOps = "runtime_ops"
        case sources
    }

    /// A profile as the loader produces it.
    public init(id: String, name: String, kind: TargetKind, vendor: String, weights: WeightSupport,
                activations: ActivationSupport = ActivationSupport(), sparsityPatterns: [NMPattern] = [],
                memoryMB: Double, compute: [String: Double] = [:], bandwidthGBs: Double? = nil, formats: [String],
                runtimeOps: [String] = [], sources: [String] = [], file: String = "",
                fieldLocations: [String: SourceLocation] = [:]) {
        self.id = id
        self.name = name
        self.kind = kind
        self.vendor = vendor
        self.weights = weights
        self.activations = activations
        self.sparsityPatterns = sparsityPatterns
        self.memoryMB = memoryMB
        self.compute = compute
        self.bandwidthGBs = bandwidthGBs
        self.formats = formats
        self.runtimeOps = runtimeOps
        self.sources = sources
        self.file = file
        self.fieldLocations = fieldLocations
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(id: try c.decode(String.self, forKey: .id),
                  name: try c.decode(String.self, forKey: .name),
                  kind: try c.decode(TargetKind.self, forKey: .kind),
                  vendor: try c.decode(String.self, forKey: .vendor),
                  weights: try c.decode(WeightSupport.self, forKey: .weights),
                  activations: try c.decode(ActivationSupport.self, forKey: .activations),
                  sparsityPatterns: try c.decode([NMPattern].self, forKey: .sparsityPatterns),
                  memoryMB: try c.decode(Double.self, forKey: .memoryMB),
                  compute: try c.decode([String: Double].self, forKey: .compute),
                  bandwidthGBs: try c.decodeIfPresent(Double.self, forKey: .bandwidthGBs),
                  formats: try c.decode([String].self, forKey: .formats),
                  runtimeOps: try c.decode([String].self, forKey: .runtimeOps),
                  sources: try c.decode([String].self, forKey: .sources))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(kind, forKey: .kind)
        try c.encode(vendor, forKey: .vendor)
        try c.encode(weights, forKey: .weights)
        try c.encode(activations, forKey: .activations)
        try c.encode(sparsityPatterns, forKey: .sparsityPatterns)
        try c.encode(memoryMB, forKey: .memoryMB)
        try c.encode(compute, forKey: .compute)
        try c.encodeIfPresent(bandwidthGBs, forKey: .bandwidthGBs)
        try c.encode(formats, forKey: .formats)
        try c.encode(runtimeOps, forKey: .runtimeOps)
        try c.encode(sources, forKey: .sources)
    }

    /// Where a field is written (first of `paths` found), else the file itself (line 1).
    public func location(of paths: String...) -> SourceLocation {
        for p in paths { if let l = fieldLocations[p] { return l } }
        return SourceLocation(file: file, line: 1, column: 1)
    }
}
