import PareONNXProto

extension ONNXOpsetUpgrade {
    /// What is known about one value: its rank and element type (each possibly unknown) and, for initializers and
    /// Constant outputs, its tensor.
    struct Facts {
        var rank: Int?
        var type: Int32?
        var constant: Onnx_TensorProto?
    }

    /// Ranks and element types of a graph's values, from graph inputs, value_info, initializers and Constant
    /// nodes, propagated forward through the operators exported CNNs and transformers use. Unknown stays nil:
    /// callers only use facts to avoid rewrites or to pick a scalar's type, never to guess semantics.
    static func inferFacts(_ g: Onnx_GraphProto, outer: [String: Facts] = [:]) -> [String: Facts] {
        var f = outer
        func fromType(_ t: Onnx_TypeProto) -> Facts {
            guard case .tensorType(let tt)? = t.value else { return Facts() }
            return Facts(rank: tt.hasShape ? tt.shape.dim.count : nil, type: tt.hasElemType ? tt.elemType : nil)
        }
        for v in g.input + g.valueInfo + g.output where v.hasType { f[v.name] = fromType(v.type) }
        for t in g.initializer { f[t.name] = Facts(rank: t.dims.count, type: t.dataType, constant: t) }
        for n in g.node {
            let out = infer(n, f)
            for (k, o) in n.output.enumerated() where !o.isEmpty && k < out.count {
                var merged = out[k]
                if let known = f[o] {  // value_info wins where it says something
                    merged.rank = known.rank ?? merged.rank
                    merged.type = known.type ?? merged.type
                }
                f[o] = merged
            }
        }
        return f
    }

    /// Facts of a node's outputs given its inputs' facts.
    private static func infer(_ n: Onnx_NodeProto, _ f: [String: Facts]) -> [Facts] {
        guard ONNXEncodeProto.isStandard(n) else { return [] }
        let ins = n.input.map { $0.isEmpty ? Facts() : (f[$0] ?? Facts()) }
        let r0 = ins.first?.rank, t0 = ins.first?.type
        func same(_ count: Int = 1) -> [Facts] { Array(repeating: Facts(rank: r0, type: t0), count: max(count, 1)) }
        func broadcast(type: Int32?) -> [Facts] {
            let ranks = ins.map(\.rank)
            let r = ranks.contains { $0 == nil } ? nil : ranks.compactMap { $0 }.max()
            return [Facts(rank: r, type: type)]
        }
        func constInts(_ i: Int) -> [Int64]? {
            guard i < n.input.count, let t = f[n.input[i]]?.constant else { return nil }
            return ONNXEncodeProto.integerValues(t)
        }
        let keep = (ONNXEncodeProto.int(n, "keepdims") ?? 1) != 0
        switch n.opType {
        case "Constant":
            if let t = ONNXEncodeProto.constantValue(n) { return [Facts(rank: t.dims.count, type: t.dataType, constant: t)] }
            if ONNXEncodeProto.attr(n, "value_float") != nil { return [Facts(rank: 0, type: ONNXEncodeProto.float)] }
            if ONNXEncodeProto.attr(n, "value_int") != nil { return [Facts(rank: 0, type: ONNXEncodeProto.int64)] }
            if ONNXEncodeProto.attr(n, "value_floats") != nil { return [Facts(rank: 1, type: ONNXEncodeProto.float)] }
            if ONNXEncodeProto.attr(n, "value_ints") != nil { return [Facts(rank: 1, type: ONNXEncodeProto.int64)] }
            return [Facts()]
        case "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Mean", "Sum", "Mod", "PRelu", "BitShift":
            return broadcast(type: t0)
        case "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor":
            return broadcast(type: ONNXEncodeProto.bool)
        case "Where":
            let r = [ins.count > 0 ? ins[0].rank : nil, ins.count > 1 ? ins[1].rank : nil, ins.count > 2 ? ins[2].rank : nil]
            return [Facts(rank: r.contains { $0 == nil } ? nil : r.compactMap { $0 }.max(), type: ins.count > 1 ? ins[1].type : nil)]
        case "Relu", "Sigmoid", "Tanh", "Exp", "Log", "Sqrt", "Neg", "Abs", "Erf", "Identity", "LeakyRelu", "Elu",
             "Selu", "Celu", "HardSigmoid", "HardSwish", "Gelu", "Softplus", "Softsign", "Floor", "Ceil", "Round",
             "Reciprocal", "Sign", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh",
             "Atanh", "Mish", "Softmax", "LogSoftmax", "Hardmax", "Clip", "LRN", "InstanceNormalization",
             "LpNormalization", "MeanVarianceNormalization", "Conv", "ConvTranspose", "MaxPool", "AveragePool",
             "LpPool", "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool", "Resize", "Upsample", "Pad",
             "DepthToSpace", "SpaceToDepth", "CumSum", "Transpose", "Tile", "Slice", "ReverseSequence",
             "ThresholdedRelu", "Shrink", "Trilu", "GroupNormalization", "Not", "BitwiseNot":
            return same()
        case "Dropout":
            return [Facts(rank: r0, type: t0), Facts(rank: r0, type: ONNXEncodeProto.bool)]
        case "BatchNormalization", "LayerNormalization":
            return [Facts(rank: r0, type: t0)]
        case "IsNaN", "IsInf":
            return [Facts(rank: r0, type: ONNXEncodeProto.bool)]
        case "Cast":
            return [Facts(rank: r0, type: ONNXEncodeProto.int(n, "to").map { Int32($0) })]
        case "CastLike":
            return [Facts(rank: r0, type: ins.count > 1 ? ins[1].type : nil)]
        case "MatMul":
            guard ins.count == 2, let a = ins[0].rank, let b = ins[1].rank else { return [Facts(type: t0)] }
            let r: Int = a == 1 && b == 1 ? 0 : (a == 1 ? b - 1 : (b == 1 ? a - 1 : max(a, b)))
            return [Facts(rank: r, type: t0)]
        case "Gemm", "Flatten": return [Facts(rank: 2, type: t0)]
        case "Shape": return [Facts(rank: 1, type: ONNXEncodeProto.int64)]
        case "Size": return [Facts(rank: 0, type: ONNXEncodeProto.int64)]
        case "NonZero": return [Facts(rank: 2, type: ONNXEncodeProto.int64)]
        case "Range": return [Facts(rank: 1, type: t0)]
        case "Reshape":
            guard n.input.count > 1, let t = f[n.input[1]]?.constant else { return [Facts(type: t0)] }
            return [Facts(rank: ONNXEncodeProto.elementCount(t), type: t0)]
        case "Expand":
            guard n.input.count > 1, let t = f[n.input[1]]?.constant, let r = r0 else { return [Facts(type: t0)] }
            return [Facts(rank: max(r, ONNXEncodeProto.elementCount(t)), type: t0)]
        case "ConstantOfShape":
            let type = ONNXEncodeProto.attr(n, "value")?.t.dataType ?? ONNXEncodeProto.float
            guard let t = ins.first?.constant else { return [Facts(type: type)] }
            return [Facts(rank: ONNXEncodeProto.elementCount(t), type: type)]
        case "Unsqueeze":
            let axes = ONNXEncodeProto.ints(n, "axes")?.count ?? constInts(1)?.count
            return [Facts(rank: r0.flatMap { r in axes.map { r + $0 } }, type: t0)]
        case "Squeeze":
            let axes = ONNXEncodeProto.ints(n, "axes")?.count ?? constInts(1)?.count
            return [Facts(rank: r0.flatMap { r in axes.map { r - $0 } }, type: t0)]
        case "Concat": return [Facts(rank: ins.compactMap(\.rank).first, type: t0)]
        case "Split": return same(n.output.count)
        case "Gather":
            guard ins.count == 2, let a = ins[0].rank, let b = ins[1].rank else { return [Facts(type: t0)] }
            return [Facts(rank: a + b - 1, type: t0)]
        case "GatherElements": return [Facts(rank: ins.count > 1 ? ins[1].rank : nil, type: t0)]
        case "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
             "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare":
            if keep { return same() }
            guard let r = r0 else { return [Facts(type: t0)] }
            if let axes = ONNXEncodeProto.ints(n, "axes")?.count ?? constInts(1)?.count { return [Facts(rank: r - axes, type: t0)] }
            return [Facts(rank: n.input.count > 1 && !n.input[1].isEmpty ? nil : 0, type: t0)]
        case "ArgMax", "ArgMin":
            return [Facts(rank: keep ? r0 : r0.map { $0 - 1 }, type: ONNXEncodeProto.int64)]
        case "TopK": return [Facts(rank: r0, type: t0), Facts(rank: r0, type: ONNXEncodeProto.int64)]
        case "DequantizeLinear": return [Facts(rank: r0, type: ins.count > 1 ? ins[1].type : ONNXEncodeProto.float)]
        case "QuantizeLinear": return [Facts(rank: r0, type: ins.count > 2 ? ins[2].type : ONNXEncodeProto.uint8)]
        default: return []
        }
    }
}
