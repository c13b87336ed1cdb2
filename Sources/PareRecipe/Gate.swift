import PareBasics

/// One entry of `gates:`: bounds on a metric. With `relative`, the bound applies to the ratio
/// compressed / float (e.g. `accuracy: { min: 0.99, relative: true }` = at least 99 % of the float model's accuracy).
public struct Gate: Sendable, Hashable, Codable {
    public var metric: GateMetric
    public var min: Double?
    public var max: Double?
    public var relative: Bool
    /// Where the gate's key is written.
    public var location: SourceLocation

    enum CodingKeys: String, CodingKey { case metric, min, max, relative }

    public init(metric: GateMetric, min: Double? = nil, max: Double? = nil, relative: Bool = false, location: SourceLocation) {
        self.metric = metric
        self.min = min
        self.max = max
        self.relative = relative
        self.location = location
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(metric: try c.decode(GateMetric.self, forKey: .metric), min: try c.decodeIfPresent(Double.self, forKey: .min),
                  max: try c.decodeIfPresent(Double.self, forKey: .max), relative: try c.decode(Bool.self, forKey: .relative),
                  location: SourceLocation(file: ""))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(metric, forKey: .metric)
        try c.encodeIfPresent(min, forKey: .min)
        try c.encodeIfPresent(max, forKey: .max)
        try c.encode(relative, forKey: .relative)
    }

    /// `min 0.99`, `max 8`, `min 0.99 (relative)`.
    public var boundText: String {
        var parts: [String] = []
        if let min { parts.append("min \(min)") }
        if let max { parts.append("max \(max)") }
        return parts.joined(separator: ", ") + (relative ? " (relative to float)" : "")
    }
}
