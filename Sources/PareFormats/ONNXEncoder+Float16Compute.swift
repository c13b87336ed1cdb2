import PareONNXProto

extension ONNXEncoder {
    /// Operators that already hold quantized arithmetic; their float32 scales cannot simply become float16.
    static let quantizedOperators: Set<String> = [
        "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv", "QLinearMatMul",
        "MatMulInteger", "ConvInteger",
    ]

    /// Converts a model to float16 compute, except the tensors in `encoded` (the encoder writes those itself):
    /// every FLOAT initializer, Constant value, graph input / output / value_info and `Cast(to=FLOAT)` becomes
    /// FLOAT16 (values rounded to nearest even); ConstantOfShape, RandomNormal and RandomUniform produce FLOAT16.
    /// Inputs that ONNX fixes to float32 (Resize / Upsample `scales`) keep FLOAT constants or get a
    /// `Cast(to=FLOAT)`. Applied to the main graph and its subgraphs.
    /// - Throws: `FormatError` for an already-quantized operator or a float weight stored as external data.
    static func convertToFloat16Compute(_ m: inout Onnx_ModelProto, encoded: Set<String>, file: String,
                                        report: inout [String]) throws {
        var names = ONNXEncodeNames(m)
        var counts = (tensors: 0, casts: 0, values: 0)
        let opset = P.defaultOpset(m) ?? 0
        m.graph = try convertGraph(m.graph, encoded: encoded, opset: opset, file: file, names: &names, counts: &counts)
        report.append("float16 compute: \(counts.tensors) float tensors converted to FLOAT16, \(counts.values) graph "
                      + "inputs/outputs/value_info retyped, \(counts.casts) Cast/ConstantOfShape/Random nodes retargeted")
    }

    private static func convertGraph(_ graph: Onnx_GraphProto, encoded: Set<String>, opset: Int, file: String,
                                     names: inout ONNXEncodeNames,
                                     counts: inout (tensors: Int, casts: Int, values: Int)) throws -> Onnx_GraphProto {
        var g = graph
        // Inputs that must stay float32: Resize (scales) and Upsample (scales).
        var float32Inputs: [(node: Int, input: Int)] = []
        for (i, n) in g.node.enumerated() where P.isStandard(n) {
            if quantizedOperators.contains(n.opType) {
                throw FormatError(file: file, message: "\(P.label(n, index: i)): the model is already quantized; "
                                  + "float16 compute conversion does not handle \(n.opType)")
            }
            let scalesIndex: Int? = switch n.opType {
            case "Resize": (ONNXOpset.definition(of: "Resize", at: opset) ?? 11) >= 11 ? 2 : 1
            case "Upsample": 1
            default: nil
            }
            if let k = scalesIndex, k < n.input.count, !n.input[k].isEmpty { float32Inputs.append((i, k)) }
        }
        let initializerNames = Set(g.initializer.map(\.name))
        var constantOutputs = Set<String>()
        for n in g.node where P.constantValue(n) != nil { constantOutputs.formUnion(n.output) }
        var keepFloat = Set<String>()
        var castBefore: [Int: [Onnx_NodeProto]] = [:]
        for (i, k) in float32Inputs {
            let v = g.node[i].input[k]
            if initializerNames.contains(v) || constantOutputs.contains(v) {
                keepFloat.insert(v)
            } else {
                let cast = names.fresh(v + "_float32")
                castBefore[i, default: []].append(P.node("Cast", [v], [cast], name: names.fresh(cast + "_Cast"),
                                                         attributes: [P.intAttr("to", Int(P.float))]))
                g.node[i].input[k] = cast
            }
        }
        for i in g.initializer.indices where g.initializer[i].dataType == P.float {
            let t = g.initializer[i]
            guard !encoded.contains(t.name), !keepFloat.contains(t.name) else { continue }
            g.initializer[i] = try toHalf(t, file: file)
            counts.tensors += 1
        }
        for field in [\Onnx_GraphProto.input, \Onnx_GraphProto.output, \Onnx_GraphProto.valueInfo] {
            for j in g[keyPath: field].indices {
                var v = g[keyPath: field][j]
                guard case .tensorType(var tt)? = v.type.value, tt.elemType == P.float, !keepFloat.contains(v.name) else { continue }
                tt.elemType = P.float16
                v.type.value = .tensorType(tt)
                g[keyPath: field][j] = v
                counts.values += 1
            }
        }
        var nodes: [Onnx_NodeProto] = []
        for (i, original) in g.node.enumerated() {
            var n = original
            for k in n.attribute.indices {
                if n.attribute[k].hasG {
                    n.attribute[k].g = try convertGraph(n.attribute[k].g, encoded: [], opset: opset, file: file, names: &names, counts: &counts)
                }
                for j in n.attribute[k].graphs.indices {
                    n.attribute[k].graphs[j] = try convertGraph(n.attribute[k].graphs[j], encoded: [], opset: opset, file: file,
                                                                names: &names, counts: &counts)
                }
            }
            if P.isStandard(n) {
                try retarget(&n, encoded: encoded, keepFloat: keepFloat, file: file, counts: &counts)
            }
            nodes += (castBefore[i] ?? []) + [n]
        }
        g.node = nodes
        return g
    }

    /// Makes one node produce FLOAT16 where it produced FLOAT.
    private static func retarget(_ n: inout Onnx_NodeProto, encoded: Set<String>, keepFloat: Set<String>, file: String,
                                 counts: inout (tensors: Int, casts: Int, values: Int)) throws {
        switch n.opType {
        case "Constant":
            guard let out = n.output.first, !encoded.contains(out), !keepFloat.contains(out) else { return }
            if let t = P.constantValue(n), t.dataType == P.float {
                P.setAttr(&n, P.tensorAttr("value", try toHalf(t, file: file)))
                counts.tensors += 1
            } else if let f = P.float(n, "value_float") {
                P.removeAttr(&n, "value_float")
                P.setAttr(&n, P.tensorAttr("value", P.halves(dims: [], [ONNXEncodeHalf.fromFloat(f)])))
                counts.tensors += 1
            } else if let fs = P.floats(n, "value_floats") {
                P.removeAttr(&n, "value_floats")
                P.setAttr(&n, P.tensorAttr("value", P.halves(dims: [fs.count], fs.map(ONNXEncodeHalf.fromFloat))))
                counts.tensors += 1
            }
        case "Cast":
            if P.int(n, "to") == Int(P.float), !n.output.contains(where: keepFloat.contains) {
                P.setAttr(&n, P.intAttr("to", Int(P.float16)))
                counts.casts += 1
            }
        case "ConstantOfShape":
            if let a = P.attr(n, "value") {
                if a.t.dataType == P.float {
                    P.setAttr(&n, P.tensorAttr("value", try toHalf(a.t, file: file)))
                    counts.casts += 1
                }
            } else {
                P.setAttr(&n, P.tensorAttr("value", P.halves(dims: [1], [0])))
                counts.casts += 1
            }
        case "RandomNormal", "RandomUniform", "EyeLike", "RandomNormalLike", "RandomUniformLike":
            let like = n.opType.hasSuffix("Like")
            let dtype = P.int(n, "dtype")
            if dtype == Int(P.float) || (!like && dtype == nil) {
                P.setAttr(&n, P.intAttr("dtype", Int(P.float16)))
                counts.casts += 1
            }
        default:
            break
        }
    }

    /// A FLOAT tensor's values as FLOAT16 (same name and shape).
    private static func toHalf(_ t: Onnx_TensorProto, file: String) throws -> Onnx_TensorProto {
        guard let values = P.floatValues(t) else {
            throw FormatError(file: file, tensor: t.name.isEmpty ? nil : t.name,
                              message: P.isExternal(t) ? "is stored as external data; float16 compute needs its values "
                                  + "(load the external data first, or pass it as a float16 encoding)"
                                  : "has a payload that does not match its shape")
        }
        return P.halves(t.name, dims: P.shape(t), values.map(ONNXEncodeHalf.fromFloat))
    }
}
