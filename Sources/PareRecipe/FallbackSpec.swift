/// `fallback:` of a `quantize` pass: when the recipe's gates fail, the most sensitive layers (by the per-layer
/// sensitivity analysis) are kept in higher precision, one at a time, until the gates pass or `maxLayers` fell back.
public struct FallbackSpec: Sendable, Hashable, Codable {
    /// At most this many layers fall back (default 8).
    public var maxLayers: Int

    enum CodingKeys: String, CodingKey { case maxLayers = "max_layers" }

    public init(maxLayers: Int = 8) { self.maxLayers = maxLayers }
}
