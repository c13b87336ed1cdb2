/// How a block's scale (and zero point) are chosen from its values.
///
/// - ``minmax``: the closed-form rules on ``QuantScheme`` (max|x| for symmetric, [min(x, 0), max(x, 0)] for
///   asymmetric). Cheap; the clipping range always covers every value.
/// - ``mse``: a search for the scale (symmetric) or the scale and a **fractional** zero point (asymmetric) that
///   minimize the block's squared error Σ (x − x̂)², described on ``Quantizer/fitReference(_:rows:cols:scheme:)``.
///   About 20–36 passes over each block instead of 2, for 1–1.5 dB more weight SQNR at 4 bits; asymmetric blocks
///   also get an error that sums to (nearly) zero, which removes the mean shift a layer's output would see.
///   Blocks with a non-finite value or all zeros use the ``minmax`` rules.
public enum QuantFit: String, Sendable, Hashable, CaseIterable {
    case minmax
    case mse

    /// The clipping ratios tried as starting points: the range [lo, hi] (asymmetric: lo·a and hi·b for every
    /// pair a, b in this order, a outer) or max|x| · a (symmetric).
    static let ratios: [Float] = [1, 0.9, 0.8, 0.7]
    /// Least-squares refinements of each starting point.
    static let refinements = 4
    /// How many of the asymmetric starts (those with the smallest error) are refined.
    static let refined = 4
}
