import PareONNXProto

/// Finds, for every weight of an ONNX graph, which nodes read it and along which axis its output channels run.
public enum ONNXUsage {
    /// Analyzes every initializer and every `Constant` node output (with a `value` tensor) of `graph`.
    ///
    /// Output-channel axis per consumer (standard ONNX domain only):
    /// - Conv weight (input 1) `[O, I/g, k…]`: axis 0; ConvTranspose weight (input 1) `[I, O/g, k…]`: axis 1;
    /// - Gemm input B: axis 0 when `transB` = 1, else 1; Gemm input A or C: per-tensor only;
    /// - MatMul input 1 of rank 2 (`[K, N]`): axis 1; MatMul input 0 or another rank: per-tensor only;
    /// - Gather data (input 0, an embedding table): the Gather's `axis` (default 0: one row per token);
    /// - anything else, or consumers that disagree: no channel axis, with the reason.
    /// Non-floating-point tensors (shapes, indices) and 0-d scalars get no channel axis either.
    /// - Parameter matMulNBitsBlockSize: the block size K must be divisible by for `matMulNBitsEligible`.
    public static func analyze(_ graph: Onnx_GraphProto, matMulNBitsBlockSize: Int = 32) -> [String: ONNXWeightUse] {
        var weights: [String: Onnx_TensorProto] = [:]
        for t in graph.initializer { weights[t.name] = t }
        for n in graph.node {
            if let t = ONNXEncodeProto.constantValue(n), n.output.count == 1 { weights[n.output[0]] = t }
        }
        var consumers: [String: [ONNXWeightUse.Consumer]] = [:]
        for (i, n) in graph.node.enumerated() {
            for (j, input) in n.input.enumerated() where weights[input] != nil {
                consumers[input, default: []].append(.init(node: i, opType: n.opType, domain: n.domain, input: j))
            }
            var inner = Set<String>()
            for a in n.attribute {
                if a.hasG { inner.formUnion(outerReferences(a.g)) }
                for g in a.graphs { inner.formUnion(outerReferences(g)) }
            }
            for name in inner.sorted() where weights[name] != nil {
                consumers[name, default: []].append(.init(node: i, opType: n.opType, domain: n.domain, input: -1))
            }
        }
        var result: [String: ONNXWeightUse] = [:]
        for (name, t) in weights {
            let uses = consumers[name] ?? []
            let (axis, reason) = channelAxis(tensor: t, consumers: uses, graph: graph)
            let eligible = t.dims.count == 2 && ONNXEncodeProto.isFloatingPoint(t.dataType) && !uses.isEmpty
                && uses.allSatisfy { $0.opType == "MatMul" && isStandard($0.domain) && $0.input == 1 }
                && matMulNBitsBlockSize > 0 && Int(t.dims[0]) % matMulNBitsBlockSize == 0
            result[name] = ONNXWeightUse(name: name, consumers: uses, channelAxis: axis, reason: reason,
                                         matMulNBitsEligible: eligible)
        }
        return result
    }

    private static func isStandard(_ domain: String) -> Bool { domain.isEmpty || domain == "ai.onnx" }

    /// The axis one consumer implies, or nil and why.
    private static func axis(for c: ONNXWeightUse.Consumer, rank: Int, graph: Onnx_GraphProto) -> (Int?, String?) {
        let what = "read by \(c.opType)\(isStandard(c.domain) ? "" : " (domain \(c.domain))") as input \(c.input)"
        guard isStandard(c.domain) else { return (nil, "\(what), an operator pare does not know the layout of") }
        if c.input == -1 { return (nil, "read inside a subgraph of \(c.opType) node #\(c.node)") }
        let node = graph.node[c.node]
        switch (c.opType, c.input) {
        case ("Conv", 1): return (0, nil)
        case ("ConvTranspose", 1): return rank >= 2 ? (1, nil) : (nil, "\(what) with rank \(rank)")
        case ("Gemm", 1):
            guard rank == 2 else { return (nil, "\(what) with rank \(rank), not 2") }
            return ((ONNXEncodeProto.int(node, "transB") ?? 0) != 0 ? 0 : 1, nil)
        case ("Gemm", 0): return (nil, "\(what) (A): its rows are batch rows, not output channels")
        case ("Gemm", 2): return (nil, "\(what) (the bias C)")
        case ("MatMul", 1):
            return rank == 2 ? (1, nil) : (nil, "\(what) with rank \(rank); only a 2-D [K, N] MatMul weight has a channel axis")
        case ("MatMul", 0): return (nil, "\(what) (A): its rows are not output channels")
        case ("Gather", 0):
            var a = ONNXEncodeProto.int(node, "axis") ?? 0
            if a < 0 { a += rank }
            return (0..<rank).contains(a) ? (a, nil) : (nil, "\(what) with axis out of range")
        default: return (nil, "\(what), which does not define an output-channel axis")
        }
    }

    private static func channelAxis(tensor t: Onnx_TensorProto, consumers: [ONNXWeightUse.Consumer],
                                    graph: Onnx_GraphProto) -> (Int?, String?) {
        guard ONNXEncodeProto.isFloatingPoint(t.dataType) else {
            return (nil, "\(ONNXEncodeProto.typeName(t.dataType)) tensor, not a floating-point weight")
        }
        let rank = t.dims.count
        guard rank > 0 else { return (nil, "0-d scalar") }
        guard !consumers.isEmpty else { return (nil, "not read by any node") }
        var chosen: (axis: Int, by: ONNXWeightUse.Consumer)?
        for c in consumers {
            let (a, why) = axis(for: c, rank: rank, graph: graph)
            guard let a else { return (nil, why) }
            if let prev = chosen, prev.axis != a {
                return (nil, "consumers disagree: \(prev.by.opType) node #\(prev.by.node) needs axis \(prev.axis), "
                        + "\(c.opType) node #\(c.node) needs axis \(a)")
            }
            if chosen == nil { chosen = (a, c) }
        }
        return (chosen!.axis, nil)
    }

    /// Names a subgraph reads from enclosing scopes: inputs of its nodes (recursively) that it does not define
    /// itself (as a graph input, initializer or node output).
    static func outerReferences(_ g: Onnx_GraphProto) -> Set<String> {
        var defined = Set(g.input.map(\.name))
        defined.formUnion(g.initializer.map(\.name))
        for n in g.node { defined.formUnion(n.output) }
        var used = Set<String>()
        for n in g.node {
            used.formUnion(n.input.filter { !$0.isEmpty })
            for a in n.attribute {
                if a.hasG { used.formUnion(outerReferences(a.g)) }
                for sg in a.graphs { used.formUnion(outerReferences(sg)) }
            }
        }
        for o in g.output { used.insert(o.name) }
        return used.subtracting(defined)
    }
}
