/// The resolved configuration of a `mixed-precision` pass: each selected weight gets one of the candidate bit
/// widths, chosen from its measured sensitivity so that the model meets the budget with the smallest predicted
/// loss. 4 bits is int4 per-group (`group`), 8 is int8 per-channel, 16 is float16; all symmetric.
public struct MixedPrecisionConfig: Sendable, Hashable, Codable {
    /// The budget. Exactly one is written in a recipe.
    public enum Budget: Sendable, Hashable, Codable {
        /// The model's weights (all tensors, as stored) must fit in this many MiB.
        case maxSizeMB(Double)
        /// The selected weights must average at most this many bits per weight (scales included).
        case bitsPerWeight(Double)
    }

    /// The weights to assign bit widths to.
    public var selection: TensorSelection
    /// Candidate bit widths, ascending, among 4, 8, 16. Default [4, 8, 16].
    public var candidates: [Int]
    /// The budget.
    public var budget: Budget
    /// Group size of the 4-bit candidate. Default 32.
    public var group: Int
    /// Calibration samples used to measure sensitivity (nil: all that `data.calibration` selects, at most 16).
    public var samples: Int?

    /// The bit widths this version knows.
    public static let knownBits = [4, 8, 16]

    /// A mixed-precision config.
    public init(selection: TensorSelection = TensorSelection(), candidates: [Int] = [4, 8, 16], budget: Budget,
                group: Int = 32, samples: Int? = nil) {
        self.selection = selection
        self.candidates = candidates
        self.budget = budget
        self.group = group
        self.samples = samples
    }

    /// The weight scheme of a candidate; nil for 16 (float16).
    public func scheme(bits: Int) -> WeightQuantSpec? {
        switch bits {
        case 4: return WeightQuantSpec(dtype: .int4, granularity: .perGroup, group: group, symmetric: true)
        case 8: return WeightQuantSpec(dtype: .int8, granularity: .perChannel, symmetric: true)
        default: return nil
        }
    }
}
