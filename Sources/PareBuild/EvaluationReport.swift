/// The evaluate step's result for one target: metrics, gate outcomes, and — when gates failed and the quantize pass
/// has a fallback policy — the sensitivity table and the layers that fell back.
public struct EvaluationReport: Sendable, Codable, Hashable {
    public var metrics: EvaluationMetrics
    public var gates: [GateResult]
    /// Every gate passed (true without gates).
    public var passed: Bool
    /// Per-layer sensitivity, most sensitive first (computed for fallback).
    public var sensitivity: [LayerSensitivity]?
    /// Layers kept in higher precision, in the order they fell back.
    public var fallback: [FallbackEntry]?
}

/// The output error when only one layer (a weight and its input activations) is compressed.
public struct LayerSensitivity: Sendable, Codable, Hashable {
    public var layer: String
    public var sqnrDB: Double
    public var cosineMean: Double
    enum CodingKeys: String, CodingKey { case layer, sqnrDB = "sqnr_db", cosineMean = "cosine_mean" }
}

/// A layer that fell back: what changed and the metrics after the change.
public struct FallbackEntry: Sendable, Codable, Hashable {
    public var layer: String
    /// e.g. "weight int4 → int8; input /x uint8 → uint16".
    public var change: String
    /// Why: its rank in the sensitivity table and the failing gates at the time.
    public var reason: String
    public var cosineMeanAfter: Double
    public var sqnrDBAfter: Double
    enum CodingKeys: String, CodingKey { case layer, change, reason, cosineMeanAfter = "cosine_mean_after", sqnrDBAfter = "sqnr_db_after" }
}
