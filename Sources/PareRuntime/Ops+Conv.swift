/// Convolutions on float NCHW (2-D) or NCL (1-D) tensors. Conv: im2col per image and group, then
/// Y_g = W_g · cols with `cblas_sgemm`, plus the bias: y[n, m, i, j] = B[m] + Σ_{c,ki,kj} W[m, c, ki, kj] ·
/// x[n, g·C/G + c, i·s₀ − p₀ + ki·d₀, j·s₁ − p₁ + kj·d₁] (zero outside the input); attributes group, strides,
/// dilations, pads, auto_pad, kernel_shape. ConvTranspose: cols = W_gᵀ · X_g (sgemm), then col2im scatters
/// y[n, m, i·s₀ − p₀ + ki·d₀, …] += cols; output size s·(in − 1) + output_padding + (k − 1)·d + 1 − pads, or
/// `output_shape` (pads derived from it, SAME_UPPER puts the smaller half first).
extension Ops {
    static func conv(_ c: OpContext) throws -> [Tensor] { try conv(c, activation: .none) }

    /// Conv followed by `activation` (fused at load time by `InterpreterRewrites`): the output planes start as
    /// the bias, sgemm adds the product (β = 1, which also spares OpenBLAS its pass zeroing C), and one pass
    /// applies the activation. A 1×1 stride-1 unpadded convolution multiplies
    /// the input directly (it is already the [C/G, H·W] operand); any other takes im2col columns in scratch
    /// memory reused across calls (`ScratchBuffers`).
    static func conv(_ c: OpContext, activation: ConvActivation) throws -> [Tensor] {
        let (x, xs, dtype) = try c.floatInput(0)
        let (w, ws, _) = try c.floatInput(1)
        guard xs.count == 3 || xs.count == 4, ws.count == xs.count else { throw c.fail("supports 1-D and 2-D convolutions; got X \(xs) and W \(ws)") }
        let group = c.int("group", 1)
        let n = xs[0], ch = xs[1], m = ws[0]
        guard group > 0, ch % group == 0, m % group == 0, ws[1] == ch / group else {
            throw c.fail("W \(ws) does not fit X \(xs) with group \(group)")
        }
        let kernel = c.ints("kernel_shape") ?? Array(ws[2...])
        guard kernel == Array(ws[2...]) else { throw c.fail("kernel_shape \(kernel) does not match W \(ws)") }
        let g = try ConvGeometry.forward(c, input: Array(xs[2...]), kernel: kernel).as2D
        var bias: [Float]? = nil
        if c.optionalInput(2) != nil {
            let b = try c.floatInput(2).values
            guard b.count == m else { throw c.fail("B has \(b.count) values for \(m) output channels") }
            bias = b
        }
        let (ih, iw) = (g.input[0], g.input[1]), (oh, ow) = (g.output[0], g.output[1]), (kh, kw) = (g.kernel[0], g.kernel[1])
        let cg = ch / group, mg = m / group, kk = cg * kh * kw, spatial = oh * ow
        let direct = kh == 1 && kw == 1 && g.strides == [1, 1] && g.padBegin == [0, 0] && g.padEnd == [0, 0]
        // The bias fill or sgemm with β = 0 writes every output element, and im2col every column element.
        var out = kk > 0 ? Tensor.uninitializedFloats(n * m * spatial) : [Float](repeating: 0, count: n * m * spatial)
        if !out.isEmpty && kk > 0 {
            ScratchBuffers.shared.withBuffer(count: direct ? 0 : kk * spatial) { cols in
                x.withUnsafeBufferPointer { px in w.withUnsafeBufferPointer { pw in out.withUnsafeMutableBufferPointer { po in
                    for img in 0..<n {
                        if let bias {
                            // The planes start as the bias and sgemm adds W·cols (β = 1): (Σ w·x) + b per element.
                            for k in 0..<m { (po.baseAddress! + (img * m + k) * spatial).update(repeating: bias[k], count: spatial) }
                        }
                        for gi in 0..<group {
                            let xg = px.baseAddress! + (img * ch + gi * cg) * ih * iw
                            if !direct { g.im2col(xg, channels: cg, into: cols) }
                            BLAS.sgemm(m: mg, n: spatial, k: kk, a: pw.baseAddress! + gi * mg * kk, lda: kk,
                                       b: direct ? xg : UnsafePointer(cols), ldb: spatial, beta: bias == nil ? 0 : 1,
                                       c: po.baseAddress! + (img * m + gi * mg) * spatial, ldc: spatial)
                        }
                        if activation != .none {
                            for k in 0..<m { activation.apply(po.baseAddress! + (img * m + k) * spatial, count: spatial, bias: nil) }
                        }
                    }
                } } }
            }
        } else if bias != nil || activation != .none {
            out.withUnsafeMutableBufferPointer { po in
                for img in 0..<n {
                    for k in 0..<m { activation.apply(po.baseAddress! + (img * m + k) * spatial, count: spatial, bias: bias?[k]) }
                }
            }
        }
        let shape = xs.count == 3 ? [n, m, ow] : [n, m, oh, ow]
        return [Tensor(floats: out, shape: shape, dtype: dtype)]
    }

    static func convTranspose(_ c: OpContext) throws -> [Tensor] {
        let (x, xs, dtype) = try c.floatInput(0)
        let (w, ws, _) = try c.floatInput(1)
        guard xs.count == 3 || xs.count == 4, ws.count == xs.count else { throw c.fail("supports 1-D and 2-D transposed convolutions; got X \(xs) and W \(ws)") }
        let group = c.int("group", 1)
        let n = xs[0], ch = xs[1]
        guard group > 0, ch % group == 0, ws[0] == ch else { throw c.fail("W \(ws) does not fit X \(xs) with group \(group)") }
        let mg = ws[1], m = mg * group
        let r = xs.count - 2
        let kernel = c.ints("kernel_shape") ?? Array(ws[2...])
        let strides = c.ints("strides") ?? [Int](repeating: 1, count: r)
        let dil = c.ints("dilations") ?? [Int](repeating: 1, count: r)
        let outPad = c.ints("output_padding") ?? [Int](repeating: 0, count: r)
        var pads = c.ints("pads") ?? [Int](repeating: 0, count: 2 * r)
        guard kernel == Array(ws[2...]), strides.count == r, dil.count == r, outPad.count == r, pads.count == 2 * r else {
            throw c.fail("kernel \(kernel), strides \(strides), dilations \(dil), output_padding \(outPad), pads \(pads) do not fit W \(ws)")
        }
        let input = Array(xs[2...])
        let autoPad = c.string("auto_pad", "NOTSET")
        var requested = c.ints("output_shape")
        if requested == nil && (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") { requested = (0..<r).map { input[$0] * strides[$0] } }
        if let req = requested {
            let spatialReq = req.count == r ? req : Array(req.suffix(r))
            for i in 0..<r {
                let total = strides[i] * (input[i] - 1) + outPad[i] + (kernel[i] - 1) * dil[i] + 1 - spatialReq[i]
                pads[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2
                pads[i + r] = total - pads[i]
            }
        }
        var output: [Int] = []
        for i in 0..<r {
            let full: Int = strides[i] * (input[i] - 1) + outPad[i] + (kernel[i] - 1) * dil[i] + 1
            output.append(full - pads[i] - pads[i + r])
        }
        guard output.allSatisfy({ $0 > 0 }) else { throw c.fail("output size \(output) is not positive") }
        var bias: [Float]? = nil
        if c.optionalInput(2) != nil {
            let b = try c.floatInput(2).values
            guard b.count == m else { throw c.fail("B has \(b.count) values for \(m) output channels") }
            bias = b
        }
        // 1-D runs as 2-D with height 1.
        let lead: [Int] = r == 1 ? [1] : []
        let in2: [Int] = lead + input, out2: [Int] = lead + output, k2: [Int] = lead + kernel
        let s2: [Int] = lead + strides, d2: [Int] = lead + dil, p2: [Int] = (r == 1 ? [0] : []) + Array(pads[..<r])
        let ih = in2[0], iw = in2[1], oh = out2[0], ow = out2[1], kh = k2[0], kw = k2[1]
        let sh = s2[0], sw = s2[1], dh = d2[0], dw = d2[1], ph = p2[0], pw = p2[1]
        let cg = ch / group, rows = mg * kh * kw, inSpatial = ih * iw
        var out = [Float](repeating: 0, count: n * m * oh * ow)
        var cols = [Float](repeating: 0, count: rows * inSpatial)
        if !out.isEmpty && !cols.isEmpty && cg > 0 {
        x.withUnsafeBufferPointer { px in w.withUnsafeBufferPointer { pwt in out.withUnsafeMutableBufferPointer { po in cols.withUnsafeMutableBufferPointer { pc in
            for img in 0..<n {
                for gi in 0..<group {
                    BLAS.sgemm(transA: true, m: rows, n: inSpatial, k: cg, a: pwt.baseAddress! + gi * cg * rows, lda: rows,
                               b: px.baseAddress! + (img * ch + gi * cg) * inSpatial, ldb: inSpatial, c: pc.baseAddress!, ldc: inSpatial)
                    for mi in 0..<mg {
                        let dst = po.baseAddress! + (img * m + gi * mg + mi) * oh * ow
                        for ki in 0..<kh {
                            for kj in 0..<kw {
                                let row = pc.baseAddress! + ((mi * kh + ki) * kw + kj) * inSpatial
                                for i in 0..<ih {
                                    let y = i * sh - ph + ki * dh
                                    if y < 0 || y >= oh { continue }
                                    for j in 0..<iw {
                                        let xx = j * sw - pw + kj * dw
                                        if xx >= 0 && xx < ow { dst[y * ow + xx] += row[i * iw + j] }
                                    }
                                }
                            }
                        }
                    }
                }
                if let bias {
                    for k in 0..<m {
                        let dst = po.baseAddress! + (img * m + k) * oh * ow, b = bias[k]
                        for j in 0..<(oh * ow) { dst[j] += b }
                    }
                }
            }
        } } } }
        }
        return [Tensor(floats: out, shape: [n, m] + output, dtype: dtype)]
    }

    static let convKernels: [String: Kernel] = [
        "Conv": conv,
        "ConvTranspose": convTranspose,
    ]
}
