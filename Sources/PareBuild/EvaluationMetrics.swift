import PareRecipe

/// What the evaluate step measured: the compressed model against the float source model on the evaluation set
/// (output metrics are nil when the recipe has no evaluation set: then only sizes are known).
public struct EvaluationMetrics: Sendable, Codable, Hashable {
    public var samples: Int
    /// Mean / smallest cosine similarity between float and compressed outputs, one value per (sample, output).
    public var cosineMean: Double?
    public var cosineMin: Double?
    /// 10·log10(Σx² / Σ(x − x̂)²) over every output value, dB (capped at 300 when the error is 0).
    public var sqnrDB: Double?
    /// Largest |x − x̂|.
    public var maxAbsError: Double?
    /// Fraction of rows (last axis of the first output) whose argmax agrees; nil when that axis has length 1.
    public var top1Agreement: Double?
    /// Fraction of rows whose argmax equals the label (when the evaluation set has labels); the float model's too.
    public var accuracy: Double?
    public var floatAccuracy: Double?
    /// The model file the bundle holds, MB (10^6 bytes); the float source model's.
    public var sizeMB: Double
    public var floatSizeMB: Double

    enum CodingKeys: String, CodingKey {
        case samples, accuracy
        case cosineMean = "cosine_mean", cosineMin = "cosine_min", sqnrDB = "sqnr_db", maxAbsError = "max_abs_error"
        case top1Agreement = "top1_agreement", floatAccuracy = "float_accuracy", sizeMB = "size_mb", floatSizeMB = "float_size_mb"
    }

    /// The value of a gate metric (compressed model) and the float model's value, when it has one.
    public func value(of metric: GateMetric) -> (value: Double?, float: Double?) {
        switch metric {
        case .cosineMean: return (cosineMean, 1)
        case .cosineMin: return (cosineMin, 1)
        case .sqnrDB: return (sqnrDB, nil)
        case .maxAbsError: return (maxAbsError, 0)
        case .top1Agreement: return (top1Agreement, 1)
        case .accuracy: return (accuracy, floatAccuracy)
        case .sizeMB: return (sizeMB, floatSizeMB)
        }
    }
}

/// One gate's outcome.
public struct GateResult: Sendable, Codable, Hashable {
    public var metric: String
    /// The compared value: the metric, or metric / float metric for relative gates; nil when not measurable.
    public var value: Double?
    public var min: Double?
    public var max: Double?
    public var relative: Bool
    public var passed: Bool
    /// How far outside the bound the value is (0 when it passed).
    public var shortfall: Double

    /// Judges `gate` on `metrics`.
    public static func judge(_ gate: Gate, _ metrics: EvaluationMetrics) -> GateResult {
        let (v, f) = metrics.value(of: gate.metric)
        var value = v
        if gate.relative { value = (v != nil && f != nil && f! != 0) ? v! / f! : nil }
        var passed = value != nil && !value!.isNaN
        var shortfall = 0.0
        if let value, passed {
            if let lo = gate.min, value < lo { passed = false; shortfall = lo - value }
            if let hi = gate.max, value > hi { passed = false; shortfall = value - hi }
        }
        return GateResult(metric: gate.metric.rawValue, value: value, min: gate.min, max: gate.max, relative: gate.relative,
                          passed: passed, shortfall: shortfall)
    }
}
