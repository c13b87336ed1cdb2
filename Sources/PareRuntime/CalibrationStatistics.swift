import PareKernels

/// Activation statistics of a model over a data set: one ``ActivationHistogram`` per floating-point value the graph
/// takes or computes (graph inputs and node outputs, by value name), and how many samples went in.
public struct CalibrationStatistics: Sendable {
    public var histograms: [String: ActivationHistogram]
    public var samples: Int

    public init(histograms: [String: ActivationHistogram] = [:], samples: Int = 0) {
        self.histograms = histograms
        self.samples = samples
    }

    /// Adds `other`'s statistics (as if its samples had been run after these): histograms are merged, which gives
    /// the same bits as collecting every sample into one (see ``ActivationHistogram/merge(_:)``).
    public mutating func merge(_ other: CalibrationStatistics) {
        for (name, h) in other.histograms {
            if histograms[name] == nil { histograms[name] = h } else { histograms[name]!.merge(h) }
        }
        samples += other.samples
    }
}

extension CalibrationStatistics: Codable {
    private enum CodingKeys: String, CodingKey { case histograms, samples }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        samples = try c.decode(Int.self, forKey: .samples)
        var out: [String: ActivationHistogram] = [:]
        for (name, s) in try c.decode([String: ActivationHistogram.State].self, forKey: .histograms) {
            guard let h = ActivationHistogram(state: s) else {
                throw DecodingError.dataCorruptedError(forKey: .histograms, in: c, debugDescription: "inconsistent histogram for '\(name)'")
            }
            out[name] = h
        }
        histograms = out
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(samples, forKey: .samples)
        try c.encode(histograms.mapValues(\.state), forKey: .histograms)
    }
}
