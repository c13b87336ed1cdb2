/// The parameters of one quantization block, derived from its statistics by the rules on ``QuantScheme``.
struct QuantBlock {
    var scale: Float
    /// 1 / scale as a Float, computed once per block.
    var inv: Float
    var zeroPoint: Int32
    /// The inclusive range q is clamped to: zp ± halfRange (symmetric) or [qmin, qmax] (asymmetric).
    var qlo: Int32
    var qhi: Int32
    /// Set by the fast quantizer when every element of the block is finite and `inv` is finite, so no product
    /// x · inv is NaN and the cheaper code loop without the NaN select gives the same codes.
    var productsAreNotNaN = false

    /// Symmetric block from max|x| (NaN already ignored).
    init(symmetric maxAbs: Float, type: WeightType) {
        let half = type.halfRange
        var s = maxAbs / Float(half)
        if s == 0 { s = 1 }
        scale = s
        inv = 1 / s
        zeroPoint = type.symmetricZeroPoint
        qlo = zeroPoint - half
        qhi = zeroPoint + half
    }

    /// Asymmetric block from lo = min(min(x), 0) ≤ 0 and hi = max(max(x), 0) ≥ 0.
    init(asymmetricLo lo: Float, hi: Float, type: WeightType) {
        let qmin = type.qmin, qmax = type.qmax
        var s = Float((Double(hi) - Double(lo)) / Double(qmax - qmin))
        if s == 0 { s = 1 }
        scale = s
        inv = 1 / s
        // zp = clamp(rne(qmin − lo/scale), qmin, qmax); the comparisons also map a NaN (∞ / ∞) to qmin.
        var t = Float(qmin) - lo / s
        if !(t >= Float(qmin)) { t = Float(qmin) }
        if t > Float(qmax) { t = Float(qmax) }
        zeroPoint = Int32(t.rounded(.toNearestOrEven))
        qlo = qmin
        qhi = qmax
    }

    /// Symmetric block with a given scale (> 0, with a finite reciprocal), as ``QuantFit/mse`` chooses it.
    init(symmetricScale s: Float, type: WeightType) {
        scale = s
        inv = 1 / s
        zeroPoint = type.symmetricZeroPoint
        qlo = zeroPoint - type.halfRange
        qhi = zeroPoint + type.halfRange
        productsAreNotNaN = true
    }

    init(_ scheme: QuantScheme, maxAbs: Float, lo: Float, hi: Float) {
        if scheme.symmetric {
            self.init(symmetric: maxAbs, type: scheme.type)
        } else {
            self.init(asymmetricLo: lo, hi: hi, type: scheme.type)
        }
    }
}
