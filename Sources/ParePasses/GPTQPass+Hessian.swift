import PareBasics
import PareFormats
import PareKernels
import PareONNXProto
import PareRecipe
import PareRuntime

/// One weight GPTQ quantizes: its matrix view and the nodes that read it (whose inputs give its Hessian).
struct GPTQLayer {
    /// How a reading node turns its input into rows of X (columns in the weight's matrix-view column order).
    enum Use {
        /// MatMul / Gemm: the input's last axis (Gemm transA: the first) is the in-feature axis.
        case dense(input: String, transposed: Bool)
        /// 2-D Conv with group 1: im2col rows of (ci, ky, kx).
        case conv(input: String, kh: Int, kw: Int, strides: [Int], pads: [Int], dilations: [Int], autoPad: String)
        var input: String {
            switch self {
            case .dense(let i, _): return i
            case .conv(let i, _, _, _, _, _, _): return i
            }
        }
    }
    var index: Int
    var name: String
    var axis: Int
    var outer: Int
    var rows: Int
    var inner: Int
    var cols: Int { outer * inner }
    var uses: [Use]
    /// Why the Hessian is the identity (round to nearest), when a reading node is not supported.
    var unsupported: String?
}

extension GPTQPass {
    /// The selected weights and how each is read. A weight read by a node other than MatMul (input 1), Gemm (input
    /// 1) or a 2-D group-1 Conv (input 1) is still quantized, with H = I (which is exactly round to nearest).
    static func layers(_ model: ModelArtifact, graph: Onnx_GraphProto, selection: TensorSelection, axes: [String: Int]) -> [GPTQLayer] {
        var out: [GPTQLayer] = []
        for (index, t) in model.tensors.enumerated() where t.isSelected(by: selection) && t.shape.dims.count >= 2 {
            let axis = axes[t.name] ?? 0
            let (outer, rows, inner) = Layout.split(t.shape.dims, axis: axis)
            var layer = GPTQLayer(index: index, name: t.name, axis: axis, outer: outer, rows: rows, inner: inner, uses: [])
            for n in graph.node where n.input.contains(t.name) {
                let attr = { (name: String) in n.attribute.first { $0.name == name } }
                let ok: Bool
                switch n.opType {
                case "MatMul" where n.input.count == 2 && n.input[1] == t.name && n.input[0] != t.name && t.shape.dims.count == 2 && axis == 1:
                    layer.uses.append(.dense(input: n.input[0], transposed: false)); ok = true
                case "Gemm" where n.input.count >= 2 && n.input[1] == t.name && n.input[0] != t.name && t.shape.dims.count == 2:
                    let transB = (attr("transB")?.i ?? 0) != 0
                    ok = transB ? axis == 0 : axis == 1
                    if ok { layer.uses.append(.dense(input: n.input[0], transposed: (attr("transA")?.i ?? 0) != 0)) }
                case "Conv" where n.input.count >= 2 && n.input[1] == t.name && t.shape.dims.count == 4 && axis == 0 && (attr("group")?.i ?? 1) == 1:
                    let d = t.shape.dims
                    let ap = attr("auto_pad").map { String(decoding: $0.s, as: UTF8.self) } ?? "NOTSET"
                    layer.uses.append(.conv(input: n.input[0], kh: d[2], kw: d[3], strides: attr("strides").map { $0.ints.map(Int.init) } ?? [1, 1],
                                            pads: attr("pads").map { $0.ints.map(Int.init) } ?? [0, 0, 0, 0],
                                            dilations: attr("dilations").map { $0.ints.map(Int.init) } ?? [1, 1], autoPad: ap))
                    ok = true
                default: ok = false
                }
                if !ok && layer.unsupported == nil { layer.unsupported = "read by \(n.opType) '\(n.name)'" }
            }
            if layer.uses.isEmpty && layer.unsupported == nil { continue }
            if layer.unsupported != nil { layer.uses = [] }
            out.append(layer)
        }
        return out
    }

    /// The Hessians H = 2/n · Σ XᵀX of `layers` over `samples`, computed together (one pass over the samples, each
    /// run stopping once it has the layers' inputs; samples run `threads` at a time and are added in sample order).
    static func hessians(_ layers: [GPTQLayer], interpreter: Interpreter, samples: [[String: Tensor]], threads: Int = 1) throws -> [[Double]] {
        var h = layers.map { [Double](repeating: 0, count: $0.cols * $0.cols) }
        var n = [Int](repeating: 0, count: layers.count)
        var readers: [String: [(Int, GPTQLayer.Use)]] = [:]
        for (i, l) in layers.enumerated() { for u in l.uses { readers[u.input, default: []].append((i, u)) } }
        // Rows of X are gathered across samples into blocks of `gramRows` rows (fewer, larger products) and
        // added in sample order.
        var pending = layers.map { _ in [Float]() }
        func flush(_ i: Int) {
            guard !pending[i].isEmpty else { return }
            let k = layers[i].cols
            LinearAlgebra.addGram(&h[i], pending[i], rows: pending[i].count / k, cols: k, threads: threads)
            pending[i].removeAll(keepingCapacity: true)
        }
        try interpreter.forEachCapture(samples, names: Set(readers.keys), threads: threads) { _, values in
            for (name, value) in values {
                let x = value.asFloats
                for (i, use) in readers[name]! {
                    let k = layers[i].cols
                    try forEachRowBlock(x, shape: value.shape, use: use, k: k, layer: layers[i].name) { block, m in
                        var offset = 0
                        while offset < m {
                            let take = min(m - offset, gramRows - pending[i].count / k)
                            pending[i] += block[(offset * k)..<((offset + take) * k)]
                            offset += take
                            if pending[i].count / k == gramRows { flush(i) }
                        }
                        n[i] += m
                    }
                }
            }
        }
        for i in layers.indices { flush(i) }
        for i in h.indices where n[i] > 0 {
            let f = 2 / Double(n[i])
            for j in h[i].indices { h[i][j] *= f }
        }
        return h
    }

    /// Rows of X per Gram product (the same for every thread count).
    static let gramRows = 2048

    /// Calls `body` with blocks of at most 4096 rows of X (row-major, k columns).
    static func forEachRowBlock(_ x: [Float], shape: [Int], use: GPTQLayer.Use, k: Int, layer: String,
                                _ body: ([Float], Int) throws -> Void) throws {
        switch use {
        case .dense(_, let transposed):
            guard let last = transposed ? shape.first : shape.last, last == k, shape.count >= 1 else {
                throw PassError(tensor: layer, message: "gptq: the layer input has shape \(shape) but the weight has \(k) input features")
            }
            let m = x.count / k
            if transposed {
                // X is [K, M]: rows are its columns.
                let xt = x.withUnsafeBufferPointer { Layout.transpose($0, rows: k, cols: m) }
                try body(xt, m)
            } else {
                try body(x, m)
            }
        case .conv(_, let kh, let kw, let strides, let pads, let dilations, let autoPad):
            guard shape.count == 4, shape[1] * kh * kw == k else {
                throw PassError(tensor: layer, message: "gptq: the Conv input has shape \(shape); expected [N, \(k / (kh * kw)), H, W]")
            }
            let (batch, cin, ih, iw) = (shape[0], shape[1], shape[2], shape[3])
            let (sh, sw) = (strides.count > 0 ? strides[0] : 1, strides.count > 1 ? strides[1] : 1)
            let (dh, dw) = (dilations.count > 0 ? dilations[0] : 1, dilations.count > 1 ? dilations[1] : 1)
            var (pt, pl, pb, pr) = pads.count == 4 ? (pads[0], pads[1], pads[2], pads[3]) : (0, 0, 0, 0)
            if autoPad == "VALID" { (pt, pl, pb, pr) = (0, 0, 0, 0) }
            if autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER" {
                func same(_ i: Int, _ s: Int, _ kk: Int, _ d: Int) -> (Int, Int) {
                    let total = max(((i + s - 1) / s - 1) * s + (kk - 1) * d + 1 - i, 0)
                    return autoPad == "SAME_UPPER" ? (total / 2, total - total / 2) : (total - total / 2, total / 2)
                }
                (pt, pb) = same(ih, sh, kh, dh)
                (pl, pr) = same(iw, sw, kw, dw)
            }
            let oh = (ih + pt + pb - dh * (kh - 1) - 1) / sh + 1
            let ow = (iw + pl + pr - dw * (kw - 1) - 1) / sw + 1
            guard oh > 0, ow > 0 else { return }
            let total = batch * oh * ow
            let chunk = 4096
            var start = 0
            var buf = [Float](repeating: 0, count: min(chunk, total) * k)
            while start < total {
                let m = min(chunk, total - start)
                for r in 0..<m {
                    let idx = start + r
                    let b = idx / (oh * ow), oy = (idx / ow) % oh, ox = idx % ow
                    var col = r * k
                    for c in 0..<cin {
                        let plane = (b * cin + c) * ih * iw
                        for ky in 0..<kh {
                            let y = oy * sh - pt + ky * dh
                            for kx in 0..<kw {
                                let xx = ox * sw - pl + kx * dw
                                buf[col] = (y >= 0 && y < ih && xx >= 0 && xx < iw) ? x[plane + y * iw + xx] : 0
                                col += 1
                            }
                        }
                    }
                }
                try body(m == buf.count / k ? buf : Array(buf[0..<(m * k)]), m)
                start += m
            }
        }
    }
}
