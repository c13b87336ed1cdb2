/// The resolved configuration of a `gptq` pass: weight quantization that corrects each quantized column's error
/// on the columns not yet quantized, using the layer-input Hessian H = 2·XᵀX from calibration data.
public struct GPTQConfig: Sendable, Hashable, Codable {
    /// The weights to quantize (Gemm / MatMul weights and Conv kernels).
    public var selection: TensorSelection
    /// The stored scheme. Default int4 per-group(32) symmetric.
    public var weights: WeightQuantSpec
    /// Dampening added to H's diagonal, as a fraction of its mean. Default 0.01.
    public var damping: Double
    /// `act_order`: quantize input columns in order of decreasing Hessian diagonal. Default false.
    public var actOrder: Bool
    /// `block_size`: columns per lazy-update block. Default 128.
    public var blockSize: Int
    /// Calibration samples to use (nil: all that `data.calibration` selects).
    public var samples: Int?

    enum CodingKeys: String, CodingKey {
        case selection, weights, damping, samples
        case actOrder = "act_order"
        case blockSize = "block_size"
    }

    /// The default scheme of `gptq`.
    public static let defaultWeights = WeightQuantSpec(dtype: .int4, granularity: .perGroup, group: 32, symmetric: true)

    /// A gptq config; defaults are those of a bare `- gptq` pass.
    public init(selection: TensorSelection = TensorSelection(), weights: WeightQuantSpec = GPTQConfig.defaultWeights,
                damping: Double = 0.01, actOrder: Bool = false, blockSize: Int = 128, samples: Int? = nil) {
        self.selection = selection
        self.weights = weights
        self.damping = damping
        self.actOrder = actOrder
        self.blockSize = blockSize
        self.samples = samples
    }
}
