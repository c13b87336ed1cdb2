import Foundation

/// Resize (opset 11–19 inputs X, roi, scales, sizes; `axes` from 18) on float tensors, modes `nearest` and
/// `linear` (separable n-linear over every resized axis; antialias = 0). The output size is ⌊in · scale⌋ (or
/// `sizes`, with scale = out / in); each output coordinate x maps back to the input by
/// coordinate_transformation_mode: half_pixel (x + ½) / s − ½ (default), pytorch_half_pixel (the same, 0 when
/// out = 1), half_pixel_symmetric, align_corners x · (in − 1) / (out − 1), asymmetric x / s. nearest rounds by
/// nearest_mode (round_prefer_floor default, round_prefer_ceil, floor, ceil); linear clamps to [0, in − 1] and
/// interpolates between the two neighbours. Not supported: cubic, tf_crop_and_resize, antialias,
/// keep_aspect_ratio_policy other than stretch.
extension Ops {
    static func resize(_ c: OpContext) throws -> [Tensor] {
        let x = try c.input(0)
        let r = x.rank
        let mode = c.string("mode", "nearest")
        guard mode == "nearest" || mode == "linear" else { throw c.fail("mode '\(mode)' is not supported (nearest, linear)") }
        let ctm = c.string("coordinate_transformation_mode", "half_pixel")
        guard ["half_pixel", "pytorch_half_pixel", "half_pixel_symmetric", "align_corners", "asymmetric"].contains(ctm) else {
            throw c.fail("coordinate_transformation_mode '\(ctm)' is not supported")
        }
        guard c.int("antialias", 0) == 0 else { throw c.fail("antialias = 1 is not supported") }
        guard c.string("keep_aspect_ratio_policy", "stretch") == "stretch" else { throw c.fail("keep_aspect_ratio_policy other than stretch is not supported") }
        let axes = try (c.ints("axes") ?? Array(0..<r)).map { try c.axis($0, rank: r) }
        var scales = [Float](repeating: 1, count: r)
        var out = x.shape
        // Before opset 11 (Upsample-like Resize-10) scales is input 1; from 11 it is input 2 and sizes input 3.
        let scalesIndex = c.opset < 11 ? 1 : 2
        if let sizesT = c.optionalInput(3), sizesT.count > 0 {
            let sizes = try c.intInput(3)
            guard sizes.count == axes.count else { throw c.fail("sizes \(sizes) do not match axes \(axes)") }
            for (k, a) in axes.enumerated() {
                out[a] = sizes[k]
                scales[a] = Float(sizes[k]) / Float(x.shape[a])
            }
        } else if let sT = c.optionalInput(scalesIndex), sT.count > 0 {
            guard let s = sT.floats, s.count == axes.count else { throw c.fail("scales \(sT.shape) do not match axes \(axes)") }
            for (k, a) in axes.enumerated() {
                guard s[k] > 0 else { throw c.fail("scale \(s[k]) is not positive") }
                scales[a] = s[k]
                out[a] = Int((Float(x.shape[a]) * s[k]).rounded(.down))
            }
        } else {
            throw c.fail("has neither scales nor sizes")
        }
        let nearestMode = c.string("nearest_mode", "round_prefer_floor")
        // Per axis: for each output index, the two input indices and the weight of the second.
        var taps: [[(Int, Int, Float)]] = []
        for d in 0..<r {
            let inD = x.shape[d], outD = out[d], s = scales[d]
            var t: [(Int, Int, Float)] = []
            for i in 0..<outD {
                let xf = Float(i)
                var orig: Float
                switch ctm {
                case "asymmetric": orig = xf / s
                case "align_corners": orig = outD == 1 ? 0 : xf * Float(inD - 1) / Float(outD - 1)
                case "pytorch_half_pixel": orig = outD > 1 ? (xf + 0.5) / s - 0.5 : 0
                case "half_pixel_symmetric":
                    let adj = Float(outD) / (s * Float(inD))
                    orig = Float(inD) / 2 * (1 - adj) + (xf + 0.5) / s - 0.5
                default: orig = (xf + 0.5) / s - 0.5
                }
                if mode == "nearest" {
                    var k: Float
                    switch nearestMode {
                    case "floor": k = orig.rounded(.down)
                    case "ceil": k = orig.rounded(.up)
                    case "round_prefer_ceil": k = (orig + 0.5).rounded(.down)
                    default: k = orig == orig.rounded(.down) + 0.5 ? orig.rounded(.down) : orig.rounded()
                    }
                    let j = min(max(Int(k), 0), inD - 1)
                    t.append((j, j, 0))
                } else {
                    let o = min(max(orig, 0), Float(inD - 1))
                    let i0 = Int(o.rounded(.down)), i1 = min(i0 + 1, inD - 1)
                    t.append((i0, i1, o - Float(i0)))
                }
            }
            taps.append(t)
        }
        let st = Broadcast.strides(x.shape), ost = Broadcast.strides(out)
        let n = out.reduce(1, *)
        let src = x.asFloats
        var y = [Float](repeating: 0, count: n)
        let resized = (0..<r).filter { out[$0] != x.shape[$0] || mode == "linear" && scales[$0] != 1 }
        for o in 0..<n {
            var base = 0
            var idx = [Int](repeating: 0, count: r)
            for d in 0..<r {
                idx[d] = (o / ost[d]) % out[d]
                if !resized.contains(d) { base += taps[d][idx[d]].0 * st[d] }
            }
            if mode == "nearest" {
                y[o] = src[base + resized.reduce(0) { $0 + taps[$1][idx[$1]].0 * st[$1] }]
                continue
            }
            var acc: Float = 0
            for corner in 0..<(1 << resized.count) {
                var w: Float = 1, off = base
                for (k, d) in resized.enumerated() {
                    let (i0, i1, f) = taps[d][idx[d]]
                    if corner >> k & 1 == 1 { w *= f; off += i1 * st[d] } else { w *= 1 - f; off += i0 * st[d] }
                }
                if w != 0 { acc += w * src[off] }
            }
            y[o] = acc
        }
        guard x.dtype.isFloatingPoint else { throw c.fail("resizes \(x.dtype); the interpreter resizes float tensors") }
        return [Tensor(floats: y, shape: out, dtype: x.dtype)]
    }

    static let resizeKernels: [String: Kernel] = ["Resize": resize]
}
