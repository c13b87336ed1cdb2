/// The resolved configuration of a `distill` pass: layer-wise reconstruction. Each layer that an earlier pass
/// changed is re-fitted by least squares so that, on the calibration data, its output matches the output of the
/// same layer of the uncompressed (teacher) model.
public struct DistillConfig: Sendable, Hashable, Codable {
    /// The weights whose layers may be re-fitted.
    public var selection: TensorSelection
    /// Only `layerwise`.
    public var method: String
    /// Ridge damping λ relative to the mean of diag(XᵀX): the solve uses XᵀX + λ·mean(diag)·I. Default 0.01.
    public var damping: Double
    /// Calibration samples to use (nil: all that `data.calibration` selects).
    public var samples: Int?

    /// The distill methods this version knows.
    public static let methods = ["layerwise"]

    /// A distill config; defaults are those of a bare `- distill` pass.
    public init(selection: TensorSelection = TensorSelection(), method: String = "layerwise", damping: Double = 0.01, samples: Int? = nil) {
        self.selection = selection
        self.method = method
        self.damping = damping
        self.samples = samples
    }
}
