/// A data set key `NNNN.<input name>` split into its sample number and input name.
///
/// Rule: one or more ASCII digits (the sample number, decimal; leading zeros allowed and ignored, at most 9
/// digits), a dot, then a non-empty input name (anything, including further dots). Examples: `0000.image`,
/// `12.input_ids`, `0003.__label__`, `0001.encoder.mask` (input `encoder.mask`).
public struct DataSetKey: Sendable, Hashable {
    public var sample: Int
    public var input: String

    public init(sample: Int, input: String) {
        self.sample = sample
        self.input = input
    }

    /// Parses `key`; nil when it does not follow the rule.
    public init?(_ key: String) {
        let u = Array(key.utf8)
        var i = 0
        var n = 0
        while i < u.count, i < 9, (48...57).contains(u[i]) {
            n = n * 10 + Int(u[i] - 48)
            i += 1
        }
        guard i > 0, i < u.count, u[i] == UInt8(ascii: "."), i + 1 < u.count else { return nil }
        sample = n
        input = String(decoding: u[(i + 1)...], as: UTF8.self)
    }
}
