import Foundation
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

    /// A histogram as stored: the state's fields, with the nonzero (index, count) pairs as base64 of little-endian
    /// UInt64 pairs (fast to read back, about 1/3 of the size of JSON numbers).
    private struct Stored: Codable {
        var binCount: Int
        var rangeExponent: Int
        var count: UInt64
        var nonFiniteCount: UInt64
        var lo: Float
        var hi: Float
        var bins: String
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        samples = try c.decode(Int.self, forKey: .samples)
        var out: [String: ActivationHistogram] = [:]
        for (name, s) in try c.decode([String: Stored].self, forKey: .histograms) {
            guard let raw = Data(base64Encoded: s.bins), raw.count % 16 == 0 else {
                throw DecodingError.dataCorruptedError(forKey: .histograms, in: c, debugDescription: "bad bins for '\(name)'")
            }
            var pairs: [[UInt64]] = []
            pairs.reserveCapacity(raw.count / 16)
            raw.withUnsafeBytes { b in
                for k in stride(from: 0, to: b.count, by: 16) {
                    pairs.append([UInt64(littleEndian: b.loadUnaligned(fromByteOffset: k, as: UInt64.self)),
                                  UInt64(littleEndian: b.loadUnaligned(fromByteOffset: k + 8, as: UInt64.self))])
                }
            }
            let state = ActivationHistogram.State(binCount: s.binCount, rangeExponent: s.rangeExponent, count: s.count,
                                                  nonFiniteCount: s.nonFiniteCount, lo: s.lo, hi: s.hi, bins: pairs)
            guard let h = ActivationHistogram(state: state) else {
                throw DecodingError.dataCorruptedError(forKey: .histograms, in: c, debugDescription: "inconsistent histogram for '\(name)'")
            }
            out[name] = h
        }
        histograms = out
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(samples, forKey: .samples)
        let stored = histograms.mapValues { h -> Stored in
            let st = h.state
            var raw = Data(capacity: st.bins.count * 16)
            for p in st.bins {
                withUnsafeBytes(of: p[0].littleEndian) { raw.append(contentsOf: $0) }
                withUnsafeBytes(of: p[1].littleEndian) { raw.append(contentsOf: $0) }
            }
            return Stored(binCount: st.binCount, rangeExponent: st.rangeExponent, count: st.count, nonFiniteCount: st.nonFiniteCount,
                          lo: st.lo, hi: st.hi, bins: raw.base64EncodedString())
        }
        try c.encode(stored, forKey: .histograms)
    }
}
