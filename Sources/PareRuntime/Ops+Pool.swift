/// Pooling on float NCHW (2-D) or NCL (1-D) tensors. MaxPool: the maximum over each window (kernel_shape,
/// strides, pads, dilations, auto_pad, ceil_mode; padding never wins; NaN is not propagated; the Indices output is
/// not supported).
/// AveragePool: the window's mean — divided by the number of window cells inside the input, or with
/// count_include_pad = 1 inside the padded input. GlobalAveragePool / GlobalMaxPool: over every spatial axis.
extension Ops {
    static func pool(_ c: OpContext, max isMax: Bool) throws -> [Tensor] {
        let (x, xs, dtype) = try c.floatInput(0)
        guard xs.count == 3 || xs.count == 4 else { throw c.fail("supports 1-D and 2-D pooling; got \(xs)") }
        if isMax && c.node.output.count > 1 && !c.node.output[1].isEmpty { throw c.fail("the Indices output is not supported") }
        guard let kernel = c.ints("kernel_shape") else { throw c.fail("has no kernel_shape") }
        let g = try ConvGeometry.forward(c, input: Array(xs[2...]), kernel: kernel, ceilMode: c.int("ceil_mode", 0) != 0).as2D
        if !isMax && g.dilations != [1, 1] { throw c.fail("AveragePool with dilations \(g.dilations) is not supported") }
        let includePad = c.int("count_include_pad", 0) != 0
        let planes = xs[0] * xs[1]
        let (ih, iw) = (g.input[0], g.input[1]), (oh, ow) = (g.output[0], g.output[1])
        var out = [Float](repeating: 0, count: planes * oh * ow)
        let sh = g.strides[0], sw = g.strides[1], ph = g.padBegin[0], pw = g.padBegin[1], kh = g.kernel[0], kw = g.kernel[1]
        let dh = g.dilations[0], dw = g.dilations[1], endH = ih + g.padEnd[0], endW = iw + g.padEnd[1]
        let inside = (oh - 1) * sh - ph + (kh - 1) * dh < ih && (ow - 1) * sw - pw + (kw - 1) * dw < iw && ph == 0 && pw == 0
        if isMax && inside {
            // Every window lies inside the input: no bounds checks.
            x.withUnsafeBufferPointer { px in out.withUnsafeMutableBufferPointer { po in
                for p in 0..<planes {
                    let src = px.baseAddress! + p * ih * iw
                    for i in 0..<oh {
                        let dst = po.baseAddress! + (p * oh + i) * ow
                        for j in 0..<ow { dst[j] = -.infinity }
                        for ki in 0..<kh {
                            let row = src + (i * sh + ki * dh) * iw
                            for kj in 0..<kw {
                                let base = row + kj * dw
                                for j in 0..<ow { let v = base[j * sw]; dst[j] = v > dst[j] ? v : dst[j] }
                            }
                        }
                    }
                }
            } }
            let shape = xs.count == 3 ? [xs[0], xs[1], ow] : [xs[0], xs[1], oh, ow]
            return [Tensor(floats: out, shape: shape, dtype: dtype)]
        }
        x.withUnsafeBufferPointer { px in out.withUnsafeMutableBufferPointer { po in
            for p in 0..<planes {
                let src = px.baseAddress! + p * ih * iw
                for i in 0..<oh {
                    let y0 = i * sh - ph
                    for j in 0..<ow {
                        let x0 = j * sw - pw
                        var acc: Float = isMax ? -.infinity : 0
                        var cells = 0
                        for ki in 0..<kh {
                            let y = y0 + ki * dh
                            if y < 0 || y >= ih { continue }
                            let row = src + y * iw
                            for kj in 0..<kw {
                                let xx = x0 + kj * dw
                                if xx < 0 || xx >= iw { continue }
                                let v = row[xx]
                                if isMax { acc = v > acc ? v : acc } else { acc += v }
                                cells += 1
                            }
                        }
                        if !isMax {
                            if includePad {
                                // Cells inside the padded input (the ceil_mode overhang does not count).
                                cells = (min(y0 + kh, endH) - y0) * (min(x0 + kw, endW) - x0)
                            }
                            acc = cells > 0 ? acc / Float(cells) : 0
                        }
                        po[(p * oh + i) * ow + j] = acc
                    }
                }
            }
        } }
        let shape = xs.count == 3 ? [xs[0], xs[1], ow] : [xs[0], xs[1], oh, ow]
        return [Tensor(floats: out, shape: shape, dtype: dtype)]
    }

    static func globalPool(_ c: OpContext, max isMax: Bool) throws -> [Tensor] {
        let (x, xs, dtype) = try c.floatInput(0)
        guard xs.count >= 3 else { throw c.fail("needs N, C and spatial axes; got \(xs)") }
        let planes = xs[0] * xs[1], size = xs[2...].reduce(1, *)
        var out = [Float](repeating: 0, count: planes)
        for p in 0..<planes {
            if isMax {
                var m = -Float.infinity
                for i in 0..<size { m = max(m, x[p * size + i]) }
                out[p] = m
            } else {
                var s: Double = 0
                for i in 0..<size { s += Double(x[p * size + i]) }
                out[p] = Float(s / Double(size))
            }
        }
        return [Tensor(floats: out, shape: [xs[0], xs[1]] + [Int](repeating: 1, count: xs.count - 2), dtype: dtype)]
    }

    static let poolKernels: [String: Kernel] = [
        "MaxPool": { try pool($0, max: true) },
        "AveragePool": { try pool($0, max: false) },
        "GlobalAveragePool": { try globalPool($0, max: false) },
        "GlobalMaxPool": { try globalPool($0, max: true) },
    ]
}
