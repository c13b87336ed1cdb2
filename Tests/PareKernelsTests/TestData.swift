import struct PareBasics.SplitMix64

/// Families of seeded test inputs, chosen to hit the kernels' edge cases.
enum TestData: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Uniform in [−3, 3).
    case uniform
    /// Half-integers k/2 whose blocks span exactly ±R, so that scale = 1 and x · inv lands on .5 ties.
    case ties
    /// Uniform with many ±0.0 and every third row entirely zero.
    case zeros
    /// Magnitudes from 1e30 up to Float.greatestFiniteMagnitude.
    case huge
    /// Subnormals, the smallest normals and zeros (scales underflow; 1/scale may be +∞).
    case tiny
    /// Random finite bit patterns: every exponent, both signs.
    case wideExponent
    /// Uniform with NaN, +Inf and −Inf sprinkled in (kernels must not trap and must agree).
    case nonFinite

    var description: String { rawValue }

    /// `rows × cols` values. `blockLength` and `tieRange` shape the `.ties` family: every block of
    /// `blockLength` flat elements starts with +R and −R.
    func matrix(rows: Int, cols: Int, seed: UInt64, blockLength: Int = 0, tieRange: Float = 127) -> [Float] {
        var rng = SplitMix64(seed: seed &* 0x1_0000_0001 &+ UInt64(rows * 131 + cols))
        let count = rows * cols
        var x = [Float](repeating: 0, count: count)
        for i in 0..<count {
            switch self {
            case .uniform:
                x[i] = rng.float(-3, 3)
            case .ties:
                let steps = Int(2 * tieRange)
                x[i] = Float(rng.int(-steps...steps)) / 2
            case .zeros:
                let row = i / Swift.max(cols, 1)
                x[i] = row % 3 == 0 || rng.bool(0.3) ? (rng.bool(0.5) ? -0.0 : 0.0) : rng.float(-3, 3)
            case .huge:
                let v = rng.bool(0.05) ? Float.greatestFiniteMagnitude : Float(bitPattern: UInt32(rng.int(0x7149_F2CA...0x7F7F_FFFF)))
                x[i] = rng.bool(0.5) ? -v : v
            case .tiny:
                // Exact zeros too: with a subnormal scale, inv = +∞ and 0 · inv is NaN.
                let v = rng.bool(0.1) ? 0 : Float(bitPattern: UInt32(rng.int(0...0x0100_0000)))
                x[i] = rng.bool(0.5) ? -v : v
            case .wideExponent:
                let v = Float(bitPattern: UInt32(rng.int(0...0x7F7F_FFFF)))
                x[i] = rng.bool(0.5) ? -v : v
            case .nonFinite:
                // NaNs carry random payloads and signs: a kernel must not let payload bits leak into results.
                let r = rng.int(0...19)
                let nan = Float(bitPattern: 0x7F80_0001 | UInt32(truncatingIfNeeded: rng.next()) & 0x807F_FFFF)
                x[i] = r == 0 ? nan : r == 1 ? .infinity : r == 2 ? -.infinity : rng.float(-3, 3)
            }
        }
        if self == .ties && blockLength > 0 {
            for start in stride(from: 0, to: count, by: blockLength) {
                x[start] = tieRange
                if blockLength > 1 { x[start + 1] = -tieRange }
            }
        }
        return x
    }
}
