import PareONNXProto
import PareRuntime

extension DistillPass {
    /// The geometry of a 2-D, group-1 Conv with explicit pads (auto_pad NOTSET), or nil.
    struct ConvShape: Sendable {
        var kh: Int, kw: Int
        var strides: [Int], pads: [Int], dilations: [Int]

        init?(_ n: Onnx_NodeProto, kernel dims: [Int]) {
            guard dims.count == 4, (LowRankPass.attribute(n, "group")?.i ?? 1) == 1 else { return nil }
            if let a = LowRankPass.attribute(n, "auto_pad"), !a.s.isEmpty, String(decoding: a.s, as: UTF8.self) != "NOTSET" { return nil }
            kh = dims[2]
            kw = dims[3]
            strides = LowRankPass.attribute(n, "strides").map { $0.ints.map(Int.init) } ?? [1, 1]
            pads = LowRankPass.attribute(n, "pads").map { $0.ints.map(Int.init) } ?? [0, 0, 0, 0]
            dilations = LowRankPass.attribute(n, "dilations").map { $0.ints.map(Int.init) } ?? [1, 1]
            guard strides.count == 2, pads.count == 4, dilations.count == 2 else { return nil }
        }

        /// im2col of an NCHW input: one row per (image, output row, output column), Cin·kh·kw columns ordered
        /// (channel, kernel row, kernel column) like the kernel [Cout, Cin, kh, kw]; padding reads 0.
        func im2col(_ x: [Float], shape: [Int]) -> (rows: [Float], count: Int) {
            let (b, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
            let ho = (h + pads[0] + pads[2] - dilations[0] * (kh - 1) - 1) / strides[0] + 1
            let wo = (w + pads[1] + pads[3] - dilations[1] * (kw - 1) - 1) / strides[1] + 1
            let k = c * kh * kw
            var out = [Float](repeating: 0, count: b * ho * wo * k)
            for n in 0..<b {
                for oy in 0..<ho {
                    for ox in 0..<wo {
                        let row = ((n * ho + oy) * wo + ox) * k
                        for ch in 0..<c {
                            for ky in 0..<kh {
                                let iy = oy * strides[0] - pads[0] + ky * dilations[0]
                                guard iy >= 0, iy < h else { continue }
                                for kx in 0..<kw {
                                    let ix = ox * strides[1] - pads[1] + kx * dilations[1]
                                    guard ix >= 0, ix < w else { continue }
                                    out[row + (ch * kh + ky) * kw + kx] = x[((n * c + ch) * h + iy) * w + ix]
                                }
                            }
                        }
                    }
                }
            }
            return (out, b * ho * wo)
        }
    }

    /// NCHW (or any [B, C, spatial…]) → rows (image, position) × C.
    static func channelsLast(_ y: [Float], shape: [Int]) -> [Float] {
        let b = shape[0], c = shape[1], p = shape.dropFirst(2).reduce(1, *)
        var out = [Float](repeating: 0, count: y.count)
        for n in 0..<b { for ch in 0..<c { for i in 0..<p { out[(n * p + i) * c + ch] = y[(n * c + ch) * p + i] } } }
        return out
    }

    /// Like `collect`, for a Conv: the student input as im2col rows, outputs as (image, position) × Cout rows.
    func collectConv(student: Interpreter, teacher: Interpreter, x: String, y: String, conv: ConvShape, samples: [[String: Tensor]],
                     threads: Int) throws -> LayerData {
        var xs: [Float] = [], ys: [Float] = [], yt: [Float] = []
        var rows = 0, k = 0, n = 0
        try student.forEachCapture(samples, names: [x, y], threads: threads) { _, values in
            for (name, t) in values {
                if name == x, t.shape.count == 4 {
                    let c = conv.im2col(t.asFloats, shape: t.shape)
                    xs += c.rows
                    rows += c.count
                    k = t.shape[1] * conv.kh * conv.kw
                }
                if name == y, t.shape.count == 4 { ys += Self.channelsLast(t.asFloats, shape: t.shape); n = t.shape[1] }
            }
        }
        try teacher.forEachCapture(samples, names: [y], threads: threads) { _, values in
            for (_, t) in values where t.shape.count == 4 { yt += Self.channelsLast(t.asFloats, shape: t.shape) }
        }
        guard k > 0, n > 0, xs.count == rows * k, ys.count == rows * n, yt.count == ys.count else {
            throw PassError(tensor: y, message: "student and teacher Conv outputs do not match in shape; distill needs the same layer outputs")
        }
        return LayerData(x: xs, yTeacher: yt, yStudent: ys, rows: rows, k: k, n: n)
    }
}
