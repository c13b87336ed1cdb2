import PareBasics

/// A deterministic choice of samples from a data set: `samples` of them drawn with `seed`, or all.
///
/// The exact rule (stable across platforms and Swift versions — it uses no standard-library randomness):
/// - `samples` nil, or ≥ the data set's sample count N: all samples, `0..<N`.
/// - Otherwise (1 ≤ k = `samples` < N): a partial Fisher–Yates shuffle of `[0, 1, …, N−1]` driven by
///   `SplitMix64(seed: seed)`: for i in 0..<k, draw r = `rng.next()`, let j = i + ⌊r · (N − i) / 2⁶⁴⌋ (the high
///   64 bits of the 128-bit product `r × (N − i)`), swap positions i and j. The first k positions, sorted
///   ascending, are the selection.
/// - `samples` ≤ 0 is an error.
///
/// So the same (N, samples, seed) always selects the same samples, in ascending order.
public struct DataSetSelection: Sendable, Hashable, Codable, CustomStringConvertible {
    /// How many samples to use; nil for all.
    public var samples: Int?
    public var seed: UInt64

    public init(samples: Int? = nil, seed: UInt64 = 0) {
        self.samples = samples
        self.seed = seed
    }

    /// Every sample.
    public static let all = DataSetSelection()

    public var description: String { samples.map { "\($0) samples, seed \(seed)" } ?? "all samples" }

    /// The selected sample indices out of `count`, ascending (see the rule above).
    /// - Throws: `DataSetSelection.Invalid` when `samples` ≤ 0 or `count` ≤ 0.
    public func indices(count: Int) throws -> [Int] {
        guard count > 0 else { throw Invalid(message: "the data set has no samples") }
        if let k = samples, k <= 0 { throw Invalid(message: "samples must be at least 1 (got \(k)); leave it out to use all \(count)") }
        guard let k = samples, k < count else { return Array(0..<count) }
        var order = Array(0..<count)
        var rng = SplitMix64(seed: seed)
        for i in 0..<k {
            let j = i + Int(rng.next().multipliedFullWidth(by: UInt64(count - i)).high)
            order.swapAt(i, j)
        }
        return order[0..<k].sorted()
    }

    /// A selection that cannot be applied, and why.
    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
    }
}
