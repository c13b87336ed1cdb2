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

    /// The weight type names a profile may list.
    public static let knownDTypes = ["int8", "uint8", "int4", "uint4", "fp16", "bf16", "fp32"]

    enum CodingKeys: String, CodingKey {
        case dtypes, granularities
        case groupSizes = "group_sizes"
        case symmetricOnly = "symmetric_only"
    }

    /// A support description.
    public init(dtypes: [String], granularities: [WeightGranularity], groupSizes: [Int] = [], symmetricOnly: Bool = false) {
        self.dtypes = dtypes
        self.granularities = granularities
        self.groupSizes = groupSizes
        self.symmetricOnly = symmetricOnly
    }
}
