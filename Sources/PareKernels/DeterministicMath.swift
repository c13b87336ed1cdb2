/// Elementary functions written in plain Swift (no libm), so values that end up in manifests and reports are
/// identical on every platform.
enum DeterministicMath {
    static let log10Of2 = 0.301_029_995_663_981_2
    static let log10OfE = 0.434_294_481_903_251_8

    /// log10(x), accurate to a few ulp. NaN for NaN or x < 0, −∞ for ±0, +∞ for +∞.
    ///
    /// x = m · 2^e with m ∈ [√½, √2]; ln m = 2·atanh(s) = 2(s + s³/3 + s⁵/5 + …), s = (m − 1)/(m + 1), |s| ≤ 0.172,
    /// summed to s²⁵ (truncation error < 1e-19); log10 x = e·log10 2 + ln m · log10 e.
    static func log10(_ x: Double) -> Double {
        if x.isNaN || x < 0 { return .nan }
        if x == 0 { return -.infinity }
        if x == .infinity { return .infinity }
        var m = x.significand
        var e = Double(x.exponent)
        if m > 1.414_213_562_373_095_1 {
            m *= 0.5
            e += 1
        }
        let s = (m - 1) / (m + 1), s2 = s * s
        var p = 1.0 / 25
        for k in stride(from: 23, through: 3, by: -2) {
            p = p * s2 + 1 / Double(k)
        }
        p = p * s2 + 1
        return e * log10Of2 + (2 * s * p) * log10OfE
    }
}
