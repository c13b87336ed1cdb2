import PareBasics

/// The `data:` section of a recipe.
public struct DataSpec: Sendable, Hashable {
    /// For calibrated activation quantization (and the sensitivity analysis when there is no evaluation set).
    public var calibration: DataSetSpec?
    /// For the evaluate step and gates.
    public var evaluation: DataSetSpec?

    public init(calibration: DataSetSpec? = nil, evaluation: DataSetSpec? = nil) {
        self.calibration = calibration
        self.evaluation = evaluation
    }
}
