import PareONNXProto

/// Every value and node name used anywhere in a model (graph inputs and outputs, initializers, node inputs and
/// outputs, value_info, subgraphs), so that new names never collide. `fresh` hands out `base`, else `base_1`,
/// `base_2`, ... deterministically.
struct ONNXEncodeNames {
    private(set) var used: Set<String> = []

    init(_ model: Onnx_ModelProto) {
        collect(model.graph)
        for f in model.functions {
            for n in f.node { collect(n) }
            used.formUnion(f.input)
            used.formUnion(f.output)
        }
    }

    init(_ graph: Onnx_GraphProto) { collect(graph) }

    private mutating func collect(_ g: Onnx_GraphProto) {
        for v in g.input { used.insert(v.name) }
        for v in g.output { used.insert(v.name) }
        for v in g.valueInfo { used.insert(v.name) }
        for t in g.initializer { used.insert(t.name) }
        for s in g.sparseInitializer { used.insert(s.values.name) }
        for n in g.node { collect(n) }
    }

    private mutating func collect(_ n: Onnx_NodeProto) {
        used.formUnion(n.input)
        used.formUnion(n.output)
        if n.hasName { used.insert(n.name) }
        for a in n.attribute {
            if a.hasG { collect(a.g) }
            for g in a.graphs { collect(g) }
        }
    }

    /// A name not used yet (`base`, `base_1`, ...), marked as used.
    mutating func fresh(_ base: String) -> String {
        var name = base
        var k = 1
        while used.contains(name) {
            name = "\(base)_\(k)"
            k += 1
        }
        used.insert(name)
        return name
    }

    mutating func reserve(_ name: String) { used.insert(name) }

    func contains(_ name: String) -> Bool { used.contains(name) }
}
