/// The spatial geometry of a 1-D or 2-D Conv, ConvTranspose or pooling node (1-D is run as 2-D with height 1):
/// kernel, strides, dilations, begin / end pads (after auto_pad) and the output size.
struct ConvGeometry {
    var kernel: [Int]
    var strides: [Int]
    var dilations: [Int]
    var padBegin: [Int]
    var padEnd: [Int]
    var input: [Int]
    var output: [Int]

    /// The geometry of a forward window op (Conv, MaxPool, AveragePool) over spatial size `input`:
    /// out = ⌊(in + pads − ((k − 1)·d + 1)) / s⌋ + 1 (⌈⌉ with ceil_mode, dropping a last window that would start in
    /// the end padding); auto_pad SAME_UPPER / SAME_LOWER give out = ⌈in / s⌉ with the extra pad at the end /
    /// begin; VALID means no padding.
    static func forward(_ c: OpContext, input: [Int], kernel: [Int], ceilMode: Bool = false) throws -> ConvGeometry {
        let r = input.count
        let strides = c.ints("strides") ?? [Int](repeating: 1, count: r)
        let dilations = c.ints("dilations") ?? [Int](repeating: 1, count: r)
        let pads = c.ints("pads") ?? [Int](repeating: 0, count: 2 * r)
        guard kernel.count == r, strides.count == r, dilations.count == r, pads.count == 2 * r,
              strides.allSatisfy({ $0 > 0 }), dilations.allSatisfy({ $0 > 0 }), kernel.allSatisfy({ $0 > 0 }), pads.allSatisfy({ $0 >= 0 }) else {
            throw c.fail("kernel \(kernel), strides \(strides), dilations \(dilations), pads \(pads) do not fit \(r) spatial dimensions")
        }
        var g = ConvGeometry(kernel: kernel, strides: strides, dilations: dilations, padBegin: Array(pads[..<r]),
                             padEnd: Array(pads[r...]), input: input, output: [])
        let autoPad = c.string("auto_pad", "NOTSET")
        for i in 0..<r {
            let dk = (kernel[i] - 1) * dilations[i] + 1
            switch autoPad {
            case "SAME_UPPER", "SAME_LOWER":
                let out = (input[i] + strides[i] - 1) / strides[i]
                let total = max(0, (out - 1) * strides[i] + dk - input[i])
                let small = total / 2
                g.padBegin[i] = autoPad == "SAME_UPPER" ? small : total - small
                g.padEnd[i] = total - g.padBegin[i]
                g.output.append(out)
                continue
            case "VALID":
                g.padBegin[i] = 0
                g.padEnd[i] = 0
            case "NOTSET": break
            default: throw c.fail("auto_pad '\(autoPad)' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID")
            }
            let span = input[i] + g.padBegin[i] + g.padEnd[i] - dk
            guard span >= 0 else { throw c.fail("window \(dk) is larger than the padded input \(input[i] + g.padBegin[i] + g.padEnd[i])") }
            var out = (ceilMode ? (span + strides[i] - 1) / strides[i] : span / strides[i]) + 1
            if ceilMode && (out - 1) * strides[i] >= input[i] + g.padBegin[i] { out -= 1 }
            g.output.append(out)
        }
        return g
    }

    /// As 2-D (height 1 for 1-D).
    var as2D: ConvGeometry {
        guard input.count == 1 else { return self }
        return ConvGeometry(kernel: [1] + kernel, strides: [1] + strides, dilations: [1] + dilations, padBegin: [0] + padBegin,
                            padEnd: [0] + padEnd, input: [1] + input, output: [1] + output)
    }

    /// im2col for a 2-D geometry (`as2D`): cols[(c·kh + ki)·kw + kj, i·ow + j] = x[c, i·s₀ − p₀ + ki·d₀,
    /// j·s₁ − p₁ + kj·d₁], 0 outside the input, for `channels` planes of x. Per column row and output row, the
    /// columns j whose input lies inside [0, iw) are one contiguous run (a block copy when s₁ = 1); the rest are
    /// zeros.
    /// Generic over the element type (Float for Conv, Int32 for ConvInteger's shifted values).
    func im2col<T: AdditiveArithmetic>(_ x: UnsafePointer<T>, channels: Int, into cols: UnsafeMutablePointer<T>) {
        let (ih, iw) = (input[0], input[1]), (oh, ow) = (output[0], output[1]), (kh, kw) = (kernel[0], kernel[1])
        let sh = strides[0], sw = strides[1], ph = padBegin[0], pw = padBegin[1], dh = dilations[0], dw = dilations[1]
        let spatial = oh * ow
        if sh == 1 && sw == 1 && ow == iw {
            im2colSameWidth(x, channels: channels, into: cols)
            return
        }
        for kj in 0..<kw {
            // Columns j with 0 ≤ j·sw + x0 < iw.
            let x0 = kj * dw - pw
            let lo = min(ow, x0 >= 0 ? 0 : (-x0 + sw - 1) / sw)
            let hi = max(lo, min(ow, x0 < iw ? (iw - x0 + sw - 1) / sw : 0))
            for ci in 0..<channels {
                for ki in 0..<kh {
                    let row = cols + ((ci * kh + ki) * kw + kj) * spatial
                    for i in 0..<oh {
                        let y = i * sh - ph + ki * dh
                        let dst = row + i * ow
                        if y < 0 || y >= ih {
                            dst.update(repeating: .zero, count: ow)
                            continue
                        }
                        if lo > 0 { dst.update(repeating: .zero, count: lo) }
                        let src = x + (ci * ih + y) * iw + (lo * sw + x0)
                        if sw == 1 {
                            (dst + lo).update(from: src, count: hi - lo)
                        } else {
                            for j in 0..<(hi - lo) { dst[lo + j] = src[j * sw] }
                        }
                        if hi < ow { (dst + hi).update(repeating: .zero, count: ow - hi) }
                    }
                }
            }
        }
    }

    /// im2col when both strides are 1 and the output is as wide as the input (e.g. 3×3 "same" padding): then
    /// output element d = i·ow + j reads input element d + δ of its plane, δ = (ki·d₀ − p₀)·iw + kj·d₁ − p₁, so the
    /// valid rows of a column row are one block copy; the columns that fall outside the input (the first `lo` and
    /// from `hi` on in each row, which the block copy filled with neighbouring rows' values) are then zeroed, and so
    /// are the rows outside the input.
    func im2colSameWidth<T: AdditiveArithmetic>(_ x: UnsafePointer<T>, channels: Int, into cols: UnsafeMutablePointer<T>) {
        let (ih, iw) = (input[0], input[1]), (oh, ow) = (output[0], output[1]), (kh, kw) = (kernel[0], kernel[1])
        let ph = padBegin[0], pw = padBegin[1], dh = dilations[0], dw = dilations[1]
        let spatial = oh * ow
        for ki in 0..<kh {
            // Rows i with 0 ≤ i − ph + ki·dh < ih.
            let i0 = min(oh, max(0, ph - ki * dh)), i1 = max(i0, min(oh, ih + ph - ki * dh))
            for kj in 0..<kw {
                let x0 = kj * dw - pw
                let lo = min(ow, max(0, -x0)), hi = max(lo, min(ow, iw - x0))
                let delta = (ki * dh - ph) * iw + x0
                for ci in 0..<channels {
                    let row = cols + ((ci * kh + ki) * kw + kj) * spatial
                    let plane = x + ci * ih * iw
                    if i0 > 0 { row.update(repeating: .zero, count: i0 * ow) }
                    if i1 < oh { (row + i1 * ow).update(repeating: .zero, count: (oh - i1) * ow) }
                    guard i1 > i0 && hi > lo else {
                        (row + i0 * ow).update(repeating: .zero, count: (i1 - i0) * ow)
                        continue
                    }
                    let start = i0 * ow + lo, end = (i1 - 1) * ow + hi
                    (row + start).update(from: plane + (start + delta), count: end - start)
                    if lo > 0 || hi < ow {
                        for i in i0..<i1 {
                            let r = row + i * ow
                            for j in 0..<lo { r[j] = .zero }
                            for j in hi..<ow { r[j] = .zero }
                        }
                    }
                }
            }
        }
    }
}
