/// A complete description of how a matrix is quantized: element type, block layout, and symmetry.
///
/// Rules (implemented identically by ``Quantizer/reference(_:rows:cols:scheme:)`` and
/// ``Quantizer/fast(_:rows:cols:scheme:threads:)``), for every block of elements sharing a scale:
///
/// - **symmetric**: q is limited to zp ± halfRange with halfRange = 2^(b−1) − 1 (int8: ±127, int4: ±7).
///   Signed types use zero point 0; unsigned types use zero point 2^(b−1) (uint8: 128 → q ∈ [1, 255],
///   uint4: 8 → q ∈ [1, 15]). `scale = max|x| / halfRange`, a Float division.
/// - **asymmetric**: `lo = min(min(x), 0)`, `hi = max(max(x), 0)` so that 0 is exactly representable;
///   `scale = Float((Double(hi) − Double(lo)) / Double(qmax − qmin))` (computed in Double, so it cannot
///   overflow, and rounded to Float once); `zp = clamp(rne(Float(qmin) − lo / scale), qmin, qmax)` with the
///   expression evaluated in Float. q is limited to [qmin, qmax].
/// - a block whose scale is 0 (all elements zero) uses scale 1 and the zero point computed with that scale
///   (symmetric: as above; asymmetric: qmin), so it dequantizes exactly to 0.
/// - each element: `q = clamp(rne(x · inv) + zp, qlo, qhi)` where `inv = 1 / scale` is the Float reciprocal
///   computed once per block (the product is a Float multiplication, not a division by `scale`), `rne` is
///   round-half-to-even, and [qlo, qhi] is the range above. A NaN product (NaN input, or 0 · ∞ when the scale is
///   subnormal and `inv` is +∞) is treated as 0, so q = zp; ±∞ products clamp. NaN inputs are ignored by the
///   min / max / max|x| reductions (equivalently: treated as 0). Callers reject non-finite weights beforehand
///   with ``FiniteCheck``; these rules only guarantee the kernels never trap.
/// - dequantization: `x̂ = (Float(q) − zp) · scale` (for an integer zero point the same value as
///   `Float(q − zp) · scale`).
///
/// These are the rules of ``QuantFit/minmax``. With ``QuantFit/mse`` (per-channel and per-group only), the scale
/// of a symmetric block comes from a least-squares search and the codes follow the rule above; an asymmetric block
/// gets a scale and a fractional Float zero point from the search, and codes
/// `q = clamp(rne(x · inv + zp), qmin, qmax)` (a Float multiplication, then a Float addition).
public struct QuantScheme: Sendable, Hashable {
    public var type: WeightType
    public var granularity: QuantGranularity
    public var symmetric: Bool
    /// How block parameters are chosen (default ``QuantFit/minmax``).
    public var fit: QuantFit

    public init(type: WeightType, granularity: QuantGranularity, symmetric: Bool, fit: QuantFit = .minmax) {
        self.type = type
        self.granularity = granularity
        self.symmetric = symmetric
        self.fit = fit
    }

    /// Whether zero points can be fractional: an asymmetric ``QuantFit/mse`` scheme.
    public var hasFractionalZeroPoints: Bool { fit == .mse && !symmetric }
}
