/// Normalization ops (inference). BatchNormalization: per channel c (axis 1),
/// y = x · a_c + b_c with a_c = scale_c / √(var_c + ε), b_c = B_c − mean_c · a_c (ε default 1e-5; training_mode = 1
/// is not supported). LayerNormalization (opset 17): over the axes from `axis` (default −1) to the end,
/// y = (x − μ) / √(σ² + ε) · Scale + B with μ, σ² the mean and (biased) variance, accumulated in Double; Scale and B
/// broadcast to the normalized shape; optional outputs Mean and InvStdDev. InstanceNormalization: the same per
/// (n, c) over the spatial axes, with per-channel scale and B.
extension Ops {
    static func batchNormalization(_ c: OpContext) throws -> [Tensor] {
        let (x, shape, dtype) = try c.floatInput(0)
        guard c.int("training_mode", 0) == 0 else { throw c.fail("training_mode = 1 is not supported (inference only)") }
        guard shape.count >= 2 else { throw c.fail("input \(shape) has no channel axis") }
        let ch = shape[1]
        let scale = try c.floatInput(1).values, bias = try c.floatInput(2).values
        let mean = try c.floatInput(3).values, variance = try c.floatInput(4).values
        guard [scale, bias, mean, variance].allSatisfy({ $0.count == ch }) else {
            throw c.fail("scale / B / mean / var must each have \(ch) values (channels of \(shape))")
        }
        let eps = c.float("epsilon", 1e-5)
        let a = (0..<ch).map { scale[$0] / (variance[$0] + eps).squareRoot() }
        let b = (0..<ch).map { bias[$0] - mean[$0] * a[$0] }
        let inner = shape[2...].reduce(1, *), outer = shape[0]
        var out = Tensor.uninitializedFloats(x.count)
        x.withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { po in
                for n in 0..<outer {
                    for k in 0..<ch {
                        let base = (n * ch + k) * inner, ak = a[k], bk = b[k]
                        for i in 0..<inner { po[base + i] = px[base + i] * ak + bk }
                    }
                }
            }
        }
        return [Tensor(floats: out, shape: shape, dtype: dtype)]
    }

    /// Normalizes each of `groups` contiguous runs of `size` values; `affine(g, j)` gives (scale, bias) for
    /// value j of run g. Returns y, the means and the inverse standard deviations.
    static func normalize(_ x: [Float], groups: Int, size: Int, eps: Float, affine: (Int, Int) -> (Float, Float)) -> ([Float], [Float], [Float]) {
        var out = [Float](repeating: 0, count: x.count)
        var means = [Float](repeating: 0, count: groups), invs = [Float](repeating: 0, count: groups)
        x.withUnsafeBufferPointer { px in
            for g in 0..<groups {
                let base = g * size
                var s = 0.0
                for j in 0..<size { s += Double(px[base + j]) }
                let mu = s / Double(size)
                var q = 0.0
                for j in 0..<size { let d = Double(px[base + j]) - mu; q += d * d }
                let inv = 1 / (q / Double(size) + Double(eps)).squareRoot()
                for j in 0..<size {
                    let (sc, b) = affine(g, j)
                    out[base + j] = Float((Double(px[base + j]) - mu) * inv) * sc + b
                }
                means[g] = Float(mu)
                invs[g] = Float(inv)
            }
        }
        return (out, means, invs)
    }

    static func layerNormalization(_ c: OpContext) throws -> [Tensor] {
        let (x, shape, dtype) = try c.floatInput(0)
        let axis = try c.axis(c.int("axis", -1), rank: shape.count)
        let normShape = Array(shape[axis...])
        let size = normShape.reduce(1, *), groups = shape[..<axis].reduce(1, *)
        let scaleT = try c.input(1)
        guard let scale = scaleT.floats else { throw c.fail("Scale is \(scaleT.dtype); expected float") }
        guard Broadcast.shape(scaleT.shape, normShape) == normShape else { throw c.fail("Scale \(scaleT.shape) does not broadcast to \(normShape)") }
        let so = Broadcast.offsets(scaleT.shape, to: normShape)
        var bias = [Float](repeating: 0, count: 1), bo = [Int](repeating: 0, count: size)
        if let bT = c.optionalInput(2) {
            guard let b = bT.floats, Broadcast.shape(bT.shape, normShape) == normShape else { throw c.fail("B \(bT.dtype)\(bT.shape) does not broadcast to \(normShape)") }
            bias = b
            bo = Broadcast.offsets(bT.shape, to: normShape)
        }
        let (y, means, invs) = normalize(x, groups: groups, size: size, eps: c.float("epsilon", 1e-5)) { _, j in (scale[so[j]], bias[bo[j]]) }
        let statShape = Array(shape[..<axis]) + [Int](repeating: 1, count: shape.count - axis)
        return [Tensor(floats: y, shape: shape, dtype: dtype), Tensor(floats: means, shape: statShape), Tensor(floats: invs, shape: statShape)]
    }

    static func instanceNormalization(_ c: OpContext) throws -> [Tensor] {
        let (x, shape, dtype) = try c.floatInput(0)
        guard shape.count >= 3 else { throw c.fail("input \(shape) needs N, C and spatial axes") }
        let ch = shape[1]
        let scale = try c.floatInput(1).values, bias = try c.floatInput(2).values
        guard scale.count == ch, bias.count == ch else { throw c.fail("scale and B must have \(ch) values") }
        let (y, _, _) = normalize(x, groups: shape[0] * ch, size: shape[2...].reduce(1, *), eps: c.float("epsilon", 1e-5)) { g, _ in
            (scale[g % ch], bias[g % ch])
        }
        return [Tensor(floats: y, shape: shape, dtype: dtype)]
    }

    static let normalizationKernels: [String: Kernel] = [
        "BatchNormalization": batchNormalization,
        "LayerNormalization": layerNormalization,
        "InstanceNormalization": instanceNormalization,
    ]
}
