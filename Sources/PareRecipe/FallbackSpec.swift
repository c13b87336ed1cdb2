/// `fallback:` of a `quantize` pass: the evaluate step measures every layer's sensitivity (reported as a table), and
/// when the recipe's gates fail, the most sensitive layers are kept in higher precision, one at a time, until the
/// gates pass or `maxLayers` fell back (0: the sensitivity table only).
public struct FallbackSpec: Sendable, Hashable, Codable {
    /// At most this many layers fall back (default 8; 0 = only report sensitivity).
    public var maxLayers: Int

    enum CodingKeys: String, CodingKey { case maxLayers = "max_layers" }

    public init(maxLayers: Int = 8) { self.maxLayers = maxLayers }
}
