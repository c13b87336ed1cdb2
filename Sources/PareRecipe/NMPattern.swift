/// Structured N:M sparsity: in every run of M consecutive weights along a row, N are kept and M − N are zero.
/// Written and encoded as the string `"N:M"` (e.g. `"2:4"`), with 1 ≤ N < M ≤ 64.
public struct NMPattern: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Weights kept per block.
    public var n: Int
    /// Block length.
    public var m: Int

    /// The largest block length M accepted.
    public static let maxM = 64

    /// A pattern keeping `n` of every `m` weights (not validated; use `init?(_:)` for text).
    public init(n: Int, m: Int) {
        self.n = n
        self.m = m
    }

    /// Parses `"N:M"`; nil when it is not two decimal integers with 1 ≤ N < M ≤ 64.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2,
              parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let n = Int(parts[0]), let m = Int(parts[1]),
              1 <= n, n < m, m <= NMPattern.maxM else { return nil }
        self.init(n: n, m: m)
    }

    /// `"N:M"`.
    public var description: String { "\(n):\(m)" }

    /// The fraction of weights set to zero: (M − N) / M.
    public var sparsity: Double { Double(m - n) / Double(m) }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let p = NMPattern(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "expected \"N:M\" with 1 <= N < M <= 64, got \"\(text)\""))
        }
        self = p
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
