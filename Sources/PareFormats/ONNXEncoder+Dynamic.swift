import PareONNXProto

extension ONNXEncoder.ActivationWriter {
    /// The DequantizeLinear node that writes weight `w` and its inputs (codes, scale, zero point).
    func dequantizeNode(of w: String) -> (index: Int, x: String, scale: String, zeroPoint: String?)? {
        guard let i = producer[w] else { return nil }
        let n = model.graph.node[i]
        guard n.opType == "DequantizeLinear", P.isStandard(n), n.input.count >= 2 else { return nil }
        return (i, n.input[0], n.input[1], n.input.count > 2 && !n.input[2].isEmpty ? n.input[2] : nil)
    }

    /// Rule 4, the dynamic form (what ONNX Runtime's quantize_dynamic writes, which ORT fuses into
    /// `com.microsoft.DynamicQuantizeMatMul`). For every standard-domain node, in graph order:
    /// - `MatMul(A, W)`, W a 2-D [K, N] int8 / uint8 weight of this encode written as DequantizeLinear, per tensor
    ///   or per channel along N (axis 1) → `DynamicQuantizeLinear(A) → (A_quantized, A_scale, A_zero_point)`
    ///   (one per distinct A, right after A's producer), `MatMulInteger(A_quantized, W_quantized, A_zero_point,
    ///   W_zero_point)` (W's zero point always given: zeros of W's type when symmetric), `Cast(to FLOAT)`,
    ///   `Mul(A_scale, W_scale)`, `Mul(cast, scales)` writing the MatMul's output.
    /// - `Gemm(A, B[, C])` with transA = 0, alpha = beta = 1 and B such a weight (per channel along N: axis 0 when
    ///   transB = 1, else 1): the same with transB = 1 handled by storing the codes transposed to [K, N]
    ///   (`B_quantized_transposed`), then `Add(…, C)`.
    /// - `Conv(X, W[, B])` with an 8-bit per-tensor or per-output-channel (axis 0) weight whose zero points are all
    ///   equal: `ConvInteger(X_quantized, W_quantized, X_zero_point, scalar W zero point)` with the Conv's
    ///   attributes, `Cast`, `Mul(X_scale, W_scale)` (per channel: the scales as [1, O, 1, …]), `Mul`, and
    ///   `Add(…, Reshape(B, [1, O, 1, …]))`. ONNX Runtime 1.32's ConvInteger rejects a w_zero_point that is not a
    ///   scalar ("Non per-tensor quantization is not supported now"), so per-channel zero points that differ keep
    ///   the Conv in DequantizeLinear form.
    /// Anything else that reads a weight of this encode keeps it as written, with a report line saying why.
    /// Weight DequantizeLinear nodes (and codes) no longer read are removed.
    /// int8 codes q as uint8 codes q + 128 (byte XOR 0x80), optionally transposed from [rows, cols] to [cols, rows]:
    /// with zero points shifted by 128 too, every dequantized value is unchanged, and ONNX Runtime's uint8 × uint8
    /// integer kernels are exact where its uint8 × int8 ones can saturate (AVX2 without VNNI: vpmaddubsw).
    func unsignedCodes(_ t: Onnx_TensorProto, shape: [Int], transpose: Bool) -> (raw: [UInt8], dims: [Int]) {
        var raw = [UInt8](t.rawData).map { $0 ^ 0x80 }
        var dims = shape
        if transpose {
            raw = ONNXLayout.transpose(raw, shape: shape, permutation: [1, 0])
            dims = [shape[1], shape[0]]
        }
        return (raw, dims)
    }

    mutating func writeDynamic() {
        var quantizedInputs: [String: (q: String, s: String, z: String)] = [:]
        var zeroPoints: [String: String] = [:], transposed: [String: String] = [:]
        var touched: [String] = []
        var counts: [String: Int] = [:]
        func dynamicQuantize(_ a: String) -> (q: String, s: String, z: String) {
            if let r = quantizedInputs[a] { return r }
            let r = (names.fresh("\(a)_quantized"), names.fresh("\(a)_scale"), names.fresh("\(a)_zero_point"))
            after[position(of: a), default: []].append(node("DynamicQuantizeLinear", [a], [r.0, r.1, r.2], base: a))
            quantizedInputs[a] = r
            return r
        }
        for (i, n) in model.graph.node.enumerated() where P.isStandard(n) && ["MatMul", "Gemm", "Conv"].contains(n.opType) {
            guard n.input.count >= 2, n.output.count >= 1, let written = weights[n.input[1]] else { continue }
            let w = n.input[1], a = n.input[0], out = n.output[0], label = P.label(n, index: i)
            func keep(_ why: String) { report.append("\(label) keeps weight '\(w)' as \(written.form) (not the dynamic form): \(why)") }
            guard let q = written.quantized else { keep("it is not quantized"); continue }
            let bias = n.input.count > 2 && !n.input[2].isEmpty ? n.input[2] : nil
            let transB = (P.int(n, "transB") ?? 0) != 0
            let channelAxis = n.opType == "Conv" ? 0 : n.opType == "Gemm" && transB ? 0 : 1
            switch n.opType {
            case "MatMul":
                guard q.shape.count == 2 else { keep("MatMulInteger needs a 2-D [K, N] weight, it has shape \(q.shape)"); continue }
            case "Gemm":
                guard (P.int(n, "transA") ?? 0) == 0 else { keep("Gemm with transA = 1"); continue }
                guard (P.float(n, "alpha") ?? 1) == 1, bias == nil || (P.float(n, "beta") ?? 1) == 1 else {
                    keep("Gemm alpha / beta are not 1")
                    continue
                }
            default:
                guard Set(q.zeroPoints).count == 1 else {
                    keep("its per-channel zero points differ and ONNX Runtime 1.32's ConvInteger only takes a scalar w_zero_point")
                    continue
                }
            }
            if a == w { keep("the node reads it as both inputs"); continue }
            if let problem = written.integerKernelProblem(channelAxis: channelAxis) { keep(problem); continue }
            guard let dq = dequantizeNode(of: w) else { keep("no DequantizeLinear node writes it"); continue }
            let perChannel = q.granularity == "per-channel"
            let base = n.hasName && !n.name.isEmpty ? n.name : out
            let (aq, aScale, az) = dynamicQuantize(a)
            var nodes: [Onnx_NodeProto] = []
            let integer = names.fresh("\(out)_int32"), asFloat = names.fresh("\(out)_int32_float")
            let scales = names.fresh("\(base)_quant_scales_mul")
            let scaled = bias == nil ? out : names.fresh("\(out)_\(n.opType == "Conv" ? "nobias" : "MatMul")")
            let signed = q.dtype == "int8"
            if signed, tensor(named: dq.x) == nil { keep("its codes '\(dq.x)' are not an inline tensor"); continue }
            if n.opType == "Conv" {
                let zp = Int32(q.zeroPoints[0]) + (signed ? 128 : 0)
                let wzp = zeroPoints["\(w)#scalar"] ?? addInitializer(
                    ONNXActivationQuant(name: w, dtype: "uint8", scale: 1, zeroPoint: zp).zeroPointTensor, base: "\(w)_zero_point_scalar")
                zeroPoints["\(w)#scalar"] = wzp
                var convCodes = dq.x
                if signed {
                    if let c = transposed["\(w)#u8"] { convCodes = c } else {
                        let (raw, dims) = unsignedCodes(tensor(named: dq.x)!, shape: q.shape, transpose: false)
                        convCodes = addInitializer(P.tensor(type: P.uint8, dims: dims, raw: raw), base: "\(dq.x)_uint8")
                        transposed["\(w)#u8"] = convCodes
                    }
                }
                var ws = dq.scale
                if perChannel {
                    let dims = [1, q.shape[0]] + [Int](repeating: 1, count: max(q.shape.count - 2, 0))
                    ws = addInitializer(P.floats(dims: dims, q.scales), base: "\(w)_scale_reshaped")
                }
                nodes.append(node("Mul", [aScale, ws], [scales], base: "\(base)_scales"))
                nodes.append(P.node("ConvInteger", [aq, convCodes, az, wzp], [integer], name: names.fresh("\(base)_ConvInteger"),
                                    attributes: n.attribute))
            } else {
                var codes = dq.x
                if signed {
                    let key = "\(w)#u8" + (n.opType == "Gemm" && transB ? "t" : "")
                    if let c = transposed[key] { codes = c } else {
                        let (raw, dims) = unsignedCodes(tensor(named: dq.x)!, shape: q.shape, transpose: n.opType == "Gemm" && transB)
                        codes = addInitializer(P.tensor(type: P.uint8, dims: dims, raw: raw), base: "\(dq.x)_uint8")
                        transposed[key] = codes
                    }
                } else if n.opType == "Gemm", transB {
                    if let t = transposed[w] { codes = t } else if let t = tensor(named: dq.x) {
                        let kn = ONNXLayout.transpose([UInt8](t.rawData), shape: q.shape, permutation: [1, 0])
                        codes = addInitializer(P.tensor(type: t.dataType, dims: [q.shape[1], q.shape[0]], raw: kn),
                                               base: "\(dq.x)_transposed")
                        transposed[w] = codes
                    } else { keep("its codes '\(dq.x)' are not an inline tensor"); continue }
                }
                let wzp = (signed ? nil : dq.zeroPoint) ?? zeroPoints[w] ?? addInitializer(
                    P.tensor(type: signed ? P.uint8 : q.onnxType, dims: perChannel ? [q.scales.count] : [],
                             raw: signed ? q.zeroPoints.map { UInt8(clamping: Int($0) + 128) } : [UInt8](repeating: 0, count: q.scales.count)),
                    base: "\(w)_zero_point\(signed ? "_uint8" : "")")
                zeroPoints[w] = wzp
                nodes.append(node("Mul", [aScale, dq.scale], [scales], base: "\(base)_scales"))
                nodes.append(P.node("MatMulInteger", [aq, codes, az, wzp], [integer], name: names.fresh("\(base)_MatMulInteger")))
            }
            nodes.append(node("Cast", [integer], [asFloat], base: base, attributes: [P.intAttr("to", Int(P.float))]))
            nodes.append(node("Mul", [asFloat, scales], [scaled], base: base))
            if let bias {
                var addend = bias
                if n.opType == "Conv" {
                    let dims = [1, q.shape[0]] + [Int](repeating: 1, count: max(q.shape.count - 2, 0))
                    let shape = addInitializer(P.int64s(dims: [dims.count], dims.map(Int64.init)), base: "\(bias)_reshape_shape")
                    addend = names.fresh("\(bias)_reshaped")
                    nodes.append(node("Reshape", [bias, shape], [addend], base: bias))
                }
                nodes.append(node("Add", [scaled, addend], [out], base: base))
            }
            replacement[i] = nodes
            touched.append(w)
            counts[n.opType, default: 0] += 1
        }
        // Weight DequantizeLinear nodes nobody reads any more go, then their unread inputs.
        for w in Set(touched).sorted() {
            guard let dq = dequantizeNode(of: w), readCount(w) == 0 else { continue }
            removedNodes.insert(dq.index)
            for part in [dq.x, dq.scale, dq.zeroPoint].compactMap({ $0 }) where readCount(part) == 0 {
                if initializerIndex[part] != nil || newInitializers.contains(where: { $0.name == part }) {
                    removedInitializers.insert(part)
                    newInitializers.removeAll { $0.name == part }
                } else if let p = producer[part], P.constantValue(model.graph.node[p]) != nil {
                    removedNodes.insert(p)
                }
            }
        }
        if !counts.isEmpty {
            report.insert("dynamic form: " + counts.keys.sorted().map { op in
                "\(counts[op]!) \(op) → \(op == "Conv" ? "ConvInteger" : "MatMulInteger")\(op == "Gemm" ? " (+ Add)" : "")"
            }.joined(separator: ", ") + "; \(quantizedInputs.count) DynamicQuantizeLinear", at: 0)
        }
    }
}
