import PareTensor

/// ConvInteger (ai.onnx, opset 10) on uint8 / int8 NCHW (2-D) or NCL (1-D) tensors, exact integer arithmetic:
/// y[n, m, i, j] = Σ_{c,ki,kj} (x[n, g·C/G + c, i·s₀ − p₀ + ki·d₀, j·s₁ − p₁ + kj·d₁] − x_zp) · (W[m, c, ki, kj] − w_zp[m])
/// as int32, where a padding cell contributes 0 (the input is padded with x_zero_point, as in ONNX's reference
/// and ONNX Runtime). x_zero_point is a scalar (default 0), w_zero_point a scalar or one value per output channel
/// (default 0); each zero point has its tensor's type. Same attributes as Conv (auto_pad, dilations, group,
/// kernel_shape, pads, strides). The shifted values (|v| ≤ 255) go through im2col and an int32 product whose
/// wrapping sums equal the exact sum modulo 2³² — the int32 result, as ONNX Runtime's.
extension Ops {
    static func convInteger(_ c: OpContext) throws -> [Tensor] {
        let xt = try c.input(0), wt = try c.input(1)
        let eight: Set<DType> = [.uint8, .int8]
        guard eight.contains(xt.dtype), eight.contains(wt.dtype), let x = xt.ints, let w = wt.ints else {
            throw c.fail("needs uint8 or int8 x and w, got \(xt.dtype) and \(wt.dtype)")
        }
        let xs = xt.shape, ws = wt.shape
        guard xs.count == 3 || xs.count == 4, ws.count == xs.count else { throw c.fail("supports 1-D and 2-D convolutions; got X \(xs) and W \(ws)") }
        let group = c.int("group", 1)
        let n = xs[0], ch = xs[1], m = ws[0]
        guard group > 0, ch % group == 0, m % group == 0, ws[1] == ch / group else {
            throw c.fail("W \(ws) does not fit X \(xs) with group \(group)")
        }
        var xzp: Int64 = 0
        if let z = c.optionalInput(2) {
            guard z.dtype == xt.dtype, let v = z.ints, v.count == 1 else { throw c.fail("x_zero_point must be one \(xt.dtype) value, got \(z.dtype)\(z.shape)") }
            xzp = v[0]
        }
        var wzp = [Int64](repeating: 0, count: m)
        if let z = c.optionalInput(3) {
            guard z.dtype == wt.dtype, let v = z.ints, v.count == 1 || (z.rank == 1 && v.count == m) else {
                throw c.fail("w_zero_point must be one \(wt.dtype) value or \(m) (one per output channel), got \(z.dtype)\(z.shape)")
            }
            wzp = v.count == 1 ? wzp.map { _ in v[0] } : v
        }
        let kernel = c.ints("kernel_shape") ?? Array(ws[2...])
        guard kernel == Array(ws[2...]) else { throw c.fail("kernel_shape \(kernel) does not match W \(ws)") }
        let g = try ConvGeometry.forward(c, input: Array(xs[2...]), kernel: kernel).as2D
        let (ih, iw) = (g.input[0], g.input[1]), (oh, ow) = (g.output[0], g.output[1])
        let cg = ch / group, mg = m / group, kk = cg * g.kernel[0] * g.kernel[1], spatial = oh * ow
        // Shifted operands: x − x_zp (padding then contributes 0) and W − w_zp[m].
        let xShift = x.map { Int32(truncatingIfNeeded: $0 - xzp) }
        let wShift = (0..<w.count).map { Int32(truncatingIfNeeded: w[$0] - wzp[kk > 0 ? $0 / kk : 0]) }
        var out = [Int32](repeating: 0, count: n * m * spatial)
        var cols = [Int32](repeating: 0, count: kk * spatial)
        if !out.isEmpty && kk > 0 {
            xShift.withUnsafeBufferPointer { px in wShift.withUnsafeBufferPointer { pw in
                out.withUnsafeMutableBufferPointer { po in cols.withUnsafeMutableBufferPointer { pc in
                    for img in 0..<n {
                        for gi in 0..<group {
                            g.im2col(px.baseAddress! + (img * ch + gi * cg) * ih * iw, channels: cg, into: pc.baseAddress!)
                            for mi in 0..<mg {
                                let dst = po.baseAddress! + (img * m + gi * mg + mi) * spatial
                                let wrow = pw.baseAddress! + (gi * mg + mi) * kk
                                for k in 0..<kk {
                                    let wv = wrow[k]
                                    if wv == 0 { continue }
                                    let src = pc.baseAddress! + k * spatial
                                    for s in 0..<spatial { dst[s] &+= wv &* src[s] }
                                }
                            }
                        }
                    }
                } }
            } }
        }
        let shape = xs.count == 3 ? [n, m, ow] : [n, m, oh, ow]
        return [Tensor(ints: out.map { Int64($0) }, shape: shape, dtype: .int32)]
    }

    static let convIntegerKernels: [String: Kernel] = ["ConvInteger": convInteger]
}
