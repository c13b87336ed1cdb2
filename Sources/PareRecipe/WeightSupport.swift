/// What weight encodings a target runs (`weights:` in a target profile).
public struct WeightSupport: Sendable, Hashable, Codable {
    /// Stored weight types it runs, among `WeightSupport.knownDTypes`
    /// (int8 uint8 int4 uint4 fp16 bf16 fp32).
    public var dtypes: [String]
    /// Quantization granularities it runs.
    public var granularities: [WeightGranularity]
    /// Group sizes it runs for per-group; empty unless `granularities` has per-group.
    public var groupSizes: [Int]
    /// Whether it runs only symmetric (zero point 0) quantized weights.
    public var symmetricOnly: Bool
    /// `lut_bits`: index widths of palettized (look-up table) weights the hardware runs natively; empty when it
    /// has none (palettized ONNX weights are then expanded to float when the runtime loads the model).
    public var lutBits: [Int]

    /// The weight type names a profile may list.
    public static let knownDTypes = ["int8", "uint8", "int4", "uint4", "fp16", "bf16", "fp32"]

    enum CodingKeys: String, CodingKey {
        case dtypes, granularities
        case groupSizes = "group_sizes"
        case symmetricOnly = "symmetric_only"
        case lutBits = "lut_bits"
    }

    /// `lut_bits` is written only when not empty, so the keys of profiles without it do not change.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dtypes, forKey: .dtypes)
        try c.encode(granularities, forKey: .granularities)
        try c.encode(groupSizes, forKey: .groupSizes)
        try c.encode(symmetricOnly, forKey: .symmetricOnly)
        if !lutBits.isEmpty { try c.encode(lutBits, forKey: .lutBits) }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(dtypes: try c.decode([String].self, forKey: .dtypes), granularities: try c.decode([WeightGranularity].self, forKey: .granularities),
                  groupSizes: try c.decode([Int].self, forKey: .groupSizes), symmetricOnly: try c.decode(Bool.self, forKey: .symmetricOnly),
                  lutBits: try c.decodeIfPresent([Int].self, forKey: .lutBits) ?? [])
    }

    /// Whether the target runs float weights (fp32 or fp16), so expanded palettized weights run there.
    public var runsFloat: Bool { dtypes.contains("fp32") || dtypes.contains("fp16") }

    /// A support description.
    public init(dtypes: [String], granularities: [WeightGranularity], groupSizes: [Int] = [], symmetricOnly: Bool = false,
                lutBits: [Int] = []) {
        self.lutBits = lutBits
        self.dtypes = dtypes
        self.granularities = granularities
        self.groupSizes = groupSizes
        self.symmetricOnly = symmetricOnly
    }
}
