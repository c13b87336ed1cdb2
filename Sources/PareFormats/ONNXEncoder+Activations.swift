import PareBasics
import PareONNXProto

extension ONNXEncoder {
    /// Checks `options.activations` / `options.dynamicActivations` against the original model before any work;
    /// returns the ai.onnx opset they need (nil when there is nothing to do).
    ///
    /// Rules: every name is unique and is a graph input or a node output of the main graph (did-you-mean
    /// otherwise); not an initializer, a Constant output, an encoded weight, or the output of a DequantizeLinear
    /// that dequantizes an initializer (a weight that is already quantized); of element type FLOAT when the type
    /// is known (a node output whose type cannot be inferred is taken as float); valid dtype / scale / zero
    /// point. Static activations and the dynamic form are exclusive, and neither combines with float16 compute.
    static func checkActivations(_ model: Onnx_ModelProto, weights: Set<String>, options: ONNXEncodeOptions) throws -> Int? {
        let file = options.modelName
        let acts = options.activations
        guard !acts.isEmpty || options.dynamicActivations else { return nil }
        if !acts.isEmpty, options.dynamicActivations {
            throw FormatError(file: file, message: "static activations and dynamicActivations are exclusive; pick one form")
        }
        if options.keepFloat16Compute {
            throw FormatError(file: file, message: "activation quantization is not supported with keepFloat16Compute (float32 activations only)")
        }
        if options.dynamicActivations { return 11 }  // DynamicQuantizeLinear
        let g = model.graph
        let initializers = Set(g.initializer.map(\.name))
        var produced: [String: Onnx_NodeProto] = [:]
        for n in g.node { for o in n.output where !o.isEmpty { produced[o] = n } }
        let inputs = Set(g.input.map(\.name)).subtracting(initializers)
        let facts = ONNXOpsetUpgrade.inferFacts(g)
        let candidates = (g.input.map(\.name).filter { inputs.contains($0) } + g.node.flatMap(\.output))
            .filter { !$0.isEmpty && (facts[$0]?.type ?? P.float) == P.float && !initializers.contains($0) }
        var seen = Set<String>()
        var level = 10
        for a in acts {
            func fail(_ m: String) -> FormatError { FormatError(file: file, tensor: a.name, message: m) }
            try a.validate(file: file)
            guard seen.insert(a.name).inserted else { throw fail("is listed twice in the activations") }
            if initializers.contains(a.name) || weights.contains(a.name) {
                throw fail("is \(initializers.contains(a.name) ? "an initializer" : "a weight"); only activations (graph inputs and "
                           + "node outputs) get QuantizeLinear / DequantizeLinear — weights are quantized through `weights`")
            }
            if let n = produced[a.name] {
                if n.opType == "Constant" {
                    throw fail("is the output of a Constant node (a weight); only computed activations can be quantized")
                }
                if n.opType == "DequantizeLinear", P.isStandard(n), let x = n.input.first, initializers.contains(x) {
                    throw fail("is a weight dequantized by DequantizeLinear from initializer '\(x)'; it is already quantized")
                }
            } else if !inputs.contains(a.name) {
                throw fail("is not a graph input or node output of the main graph" + Suggestion.hint(for: a.name, in: candidates))
            }
            if let t = facts[a.name]?.type, t != P.float {
                throw fail("is \(P.typeName(t)), not a FLOAT activation" + Suggestion.hint(for: a.name, in: candidates))
            }
            level = max(level, a.minimumOpset)
        }
        return level
    }
}

extension ONNXEncoder.ActivationWriter {
    /// Rule 1, static QDQ. For each activation X (in name order): initializers `X_scale` (FLOAT 0-d) and
    /// `X_zero_point` (0-d of the dtype), `QuantizeLinear → X_quantized` and `DequantizeLinear`, inserted right after
    /// X's producer (graph inputs: at the start). Naming: the DequantizeLinear writes `X_dequantized` and every
    /// reader of X (subgraphs included) reads it; when X is a graph output, the producer writes `X_float`
    /// instead, the QuantizeLinear reads that, and the DequantizeLinear writes X itself, so graph input and
    /// output names never change (all new names made unique with `_1`, `_2`, …).
    /// - Returns: the activation by the name its readers now use (for the bias rule).
    mutating func quantizeStatic(_ activations: [ONNXActivationQuant]) -> [String: ONNXActivationQuant] {
        var byReadName: [String: ONNXActivationQuant] = [:]
        let graphInputs = Set(model.graph.input.map(\.name)), graphOutputs = Set(model.graph.output.map(\.name))
        var counts: [String: Int] = [:]
        for a in activations.sorted(by: { $0.name < $1.name }) {
            let x = a.name
            if graphInputs.contains(x), graphOutputs.contains(x) {
                report.append("activation '\(x)' left float: it is both a graph input and a graph output, whose names must not change")
                continue
            }
            let s = addInitializer(P.floats(dims: [], [a.scale]), base: "\(x)_scale")
            let z = addInitializer(a.zeroPointTensor, base: "\(x)_zero_point")
            let q = names.fresh("\(x)_quantized")
            let pos = position(of: x)
            var source = x
            let out: String
            if graphOutputs.contains(x), pos >= 0 {
                source = names.fresh("\(x)_float")
                var n = model.graph.node[pos]
                for k in n.output.indices where n.output[k] == x { n.output[k] = source }
                model.graph.node[pos] = n
                producer[source] = pos
                out = x
                report.append("activation '\(x)' is a graph output: its producer now writes '\(source)', "
                              + "QuantizeLinear reads it and DequantizeLinear writes '\(x)'")
            } else {
                out = names.fresh("\(x)_dequantized")
                renameReads(of: x, to: out)
            }
            let qn = node("QuantizeLinear", [source, s, z], [q], base: x)
            let dn = node("DequantizeLinear", [q, s, z], [out], base: x)
            after[pos, default: []] += [qn, dn]
            byReadName[out] = a
            counts[a.dtype, default: 0] += 1
        }
        let total = counts.values.reduce(0, +)
        if total > 0 {
            report.insert("\(total) activation\(total == 1 ? "" : "s") quantized per tensor (QuantizeLinear → DequantizeLinear): "
                          + counts.keys.sorted().map { "\(counts[$0]!) \($0)" }.joined(separator: ", "), at: 0)
        }
        return byReadName
    }

    /// Rule 3, int32 biases. A Conv or Gemm whose input 0 is a quantized activation (scale s_x), whose weight is
    /// an int8 / uint8 per-tensor or per-output-channel DequantizeLinear weight of this encode (scales s_w), and
    /// whose bias is a FLOAT initializer read by that node only: the bias becomes INT32
    /// `clamp(round_half_even(b / (s_x · s_w[c])))` (the scale product and the division in Float, as ONNX Runtime's
    /// quantize_static computes them) + `DequantizeLinear` (scale s_x · s_w, no zero point, `axis` 0 per channel)
    /// whose output keeps the bias' name. Gemm also needs alpha = beta = 1. Otherwise the bias stays float and
    /// the report says why.
    mutating func quantizeBiases(_ activations: [String: ONNXActivationQuant]) {
        for (i, n) in model.graph.node.enumerated() where (n.opType == "Conv" || n.opType == "Gemm") && P.isStandard(n) {
            guard n.input.count >= 3, !n.input[2].isEmpty, let a = activations[n.input[0]] else { continue }
            let b = n.input[2], w = n.input[1], label = P.label(n, index: i)
            func leave(_ why: String) { report.append("bias '\(b)' of \(label) left float: \(why)") }
            let channelAxis = n.opType == "Conv" ? 0 : ((P.int(n, "transB") ?? 0) != 0 ? 0 : 1)
            guard let written = weights[w] else { leave("its weight '\(w)' is not a weight quantized by this encode"); continue }
            if let problem = written.integerKernelProblem(channelAxis: channelAxis) {
                leave("its weight '\(w)' does not fit: \(problem)")
                continue
            }
            let q = written.quantized!
            if n.opType == "Gemm", (P.float(n, "alpha") ?? 1) != 1 || (P.float(n, "beta") ?? 1) != 1 {
                leave("Gemm alpha / beta are not 1, so the bias is not added at scale s_x · s_w")
                continue
            }
            guard let bi = initializerIndex[b], !removedInitializers.contains(b) else {
                leave("it is not an initializer\(weights[b].map { " (it was written as \($0.form))" } ?? "")")
                continue
            }
            let t = model.graph.initializer[bi]
            guard t.dataType == P.float, let values = P.floatValues(t) else {
                leave("it is \(P.typeName(t.dataType))\(P.isExternal(t) ? " in external data" : ""), not an inline FLOAT tensor")
                continue
            }
            guard readCount(b) == 1, !model.graph.input.contains(where: { $0.name == b }) else {
                leave("it is also read elsewhere (or is a graph input / output)")
                continue
            }
            let perChannel = q.granularity == "per-channel"
            let channels = q.shape[channelAxis]
            if perChannel {
                guard P.shape(t) == [channels] else { leave("its shape \(P.shape(t)) is not [\(channels)] (one value per output channel)"); continue }
                guard opset >= 13 else { leave("per-channel DequantizeLinear needs opset 13, the model has \(opset)"); continue }
            }
            let scales = (perChannel ? q.scales : [q.scales[0]]).map { a.scale * $0 }
            guard scales.allSatisfy({ $0.isNormal && $0 > 0 }) else {
                leave("s_x · s_w underflows Float")
                continue
            }
            var codes: [Int32] = []
            codes.reserveCapacity(values.count)
            var clamped = 0
            for (k, v) in values.enumerated() {
                let r = (v / scales[perChannel ? k : 0]).rounded(.toNearestOrEven)
                if r.isNaN { codes.append(0); clamped += 1 }
                else if r >= 2_147_483_648 { codes.append(.max); clamped += 1 }
                else if r < -2_147_483_648 { codes.append(.min); clamped += 1 }
                else { codes.append(Int32(r)) }
            }
            var raw: [UInt8] = []
            raw.reserveCapacity(codes.count * 4)
            for c in codes { P.appendLE(UInt32(bitPattern: c), to: &raw) }
            let bq = addInitializer(P.tensor(type: P.int32, dims: P.shape(t), raw: raw), base: "\(b)_quantized")
            let bs = addInitializer(P.floats(dims: perChannel ? [channels] : [], scales), base: "\(b)_scale")
            removedInitializers.insert(b)
            let dn = node("DequantizeLinear", [bq, bs], [b], base: b, attributes: perChannel ? [P.intAttr("axis", 0)] : [])
            after[-1, default: []].append(dn)
            report.append("bias '\(b)' of \(label): INT32 round(b / (s_x · s_w)) + DequantizeLinear "
                          + (perChannel ? "per channel (axis 0)" : "per tensor")
                          + (clamped > 0 ? "; \(clamped) value\(clamped == 1 ? "" : "s") clamped to the int32 range" : ""))
        }
    }
}
