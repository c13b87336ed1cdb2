import PareFormats
import PareONNXProto
import PareRuntime

extension DistillPass {
    /// Per-channel affine correction of a quantized layer (see the type's documentation): a report row, or nil
    /// (with a note) when the layer's encoding does not allow it or its output already matches.
    func refitQuantized(_ e: GraphEditor, node n: Onnx_NodeProto, student: Interpreter, teacher: Interpreter, samples: [[String: Tensor]], threads: Int,
                        notes: inout [String]) throws -> LayerChange? {
        let wName = n.input[1], y = n.output[0]
        guard let record = e.record(wName), var q = record.quant else {
            notes.append("\(wName): palettized layers are not refitted by this version")
            return nil
        }
        let isConv = n.opType == "Conv", isGemm = n.opType == "Gemm"
        let outAxis = isConv ? 0 : (isGemm && (LowRankPass.attribute(n, "transB")?.i ?? 0) != 0 ? 0 : 1)
        guard q.granularity != .perTensor, (q.axis ?? 0) == outAxis, record.shape.dims.count >= 2,
              q.rows == record.shape.dims[outAxis] else {
            notes.append("\(wName): quantized with scales that are not per output channel; not refitted")
            return nil
        }
        let channels = q.rows
        // Outputs as rows × channels.
        var ys: [Float] = [], yt: [Float] = []
        func rows(_ t: Tensor) -> [Float] { isConv ? Self.channelsLast(t.asFloats, shape: t.shape) : t.asFloats }
        try student.forEachCapture(samples, names: [y], threads: threads) { _, values in for (_, t) in values { ys += rows(t) } }
        try teacher.forEachCapture(samples, names: [y], threads: threads) { _, values in for (_, t) in values { yt += rows(t) } }
        guard !ys.isEmpty, ys.count == yt.count, ys.count % channels == 0 else {
            throw PassError(tensor: y, message: "student and teacher layer outputs do not match in shape; distill needs the same layer outputs")
        }
        let errorBefore = Self.relativeError(yt, ys)
        guard errorBefore > 1e-12 else { return nil }
        let hasBiasInput = n.input.count > 2 && !n.input[2].isEmpty
        let canBias = isConv || isGemm
        let m = ys.count / channels
        var a = [Double](repeating: 1, count: channels), b = [Double](repeating: 0, count: channels)
        for c in 0..<channels {
            var sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0
            for r in 0..<m {
                let x = Double(ys[r * channels + c]), t = Double(yt[r * channels + c])
                sx += x; sy += t; sxx += x * x; sxy += x * t
            }
            let md = Double(m)
            if canBias {
                let varX = sxx - sx * sx / md
                guard varX > 1e-12 * max(sxx, 1e-30) else { b[c] = (sy - sx) / md; continue }
                a[c] = (sxy - sx * sy / md) / varX
                b[c] = (sy - a[c] * sx) / md
            } else if sxx > 0 {
                a[c] = sxy / sxx
            }
        }
        var pred = ys
        for r in 0..<m { for c in 0..<channels { pred[r * channels + c] = Float(a[c] * Double(ys[r * channels + c]) + b[c]) } }
        let errorAfter = Self.relativeError(yt, pred)
        let params = record.shape.elementCount ?? 0
        guard errorAfter < errorBefore else {
            return LayerChange(layer: wName, action: "kept: the per-channel refit did not reduce the error", parametersBefore: params, parametersAfter: params,
                               errorBefore: errorBefore, errorAfter: errorBefore)
        }
        // Scales: every block of channel c times a_c.
        var scales = try e.store.mapped(q.scale).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let perChannel = scales.count / channels
        for c in 0..<channels { for g in 0..<perChannel { scales[c * perChannel + g] = Float(Double(scales[c * perChannel + g]) * a[c]) } }
        q.scale = try e.store.put(scales)
        var updated = record
        updated.quant = q
        e.setRecord(updated)
        e.noteChanged(wName, by: id)
        if canBias {
            let beta = isGemm ? Double(LowRankPass.attribute(n, "beta")?.f ?? 1) : 1
            if hasBiasInput, let shape = e.shape(n.input[2]), shape.reduce(1, *) == channels, !e.isEncoded(n.input[2]) {
                let old = try e.floats(n.input[2])
                try e.setFloats(n.input[2], (0..<channels).map { Float(a[$0] * Double(old[$0]) + b[$0] / beta) }, shape: shape)
                e.noteChanged(n.input[2], by: id)
            } else if !hasBiasInput, beta != 0, let i = e.producer(of: y) {
                let name = e.uniqueName(wName + ".distill_bias")
                try e.setFloats(name, b.map { Float($0 / beta) }, shape: [channels])
                e.noteChanged(name, by: id)
                var g = e.graph
                if g.node[i].input.count == 2 { g.node[i].input.append(name) } else { g.node[i].input[2] = name }
                e.graph = g
            }
        }
        return LayerChange(layer: wName, action: "refitted per-channel scales" + (canBias ? " and bias" : "") + " of quantized \(n.opType)",
                           parametersBefore: params, parametersAfter: params, errorBefore: errorBefore, errorAfter: errorAfter)
    }
}
