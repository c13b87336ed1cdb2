import PareBasics
import PareONNXProto

extension ONNXEncoder {
    /// How this encode wrote one weight, as the activation rules need to know it.
    struct WrittenWeight {
        /// The quantized weight (nil for float16 / bfloat16 / replaced values).
        var quantized: ONNXQuantizedWeight?
        /// How it was written, for report lines: "DequantizeLinear", "the Cast/Mul fallback", "MatMulNBits", ….
        var form: String
        /// True when a single `DequantizeLinear` node (no Reshape / Transpose) outputs the weight's name.
        var isDequantizeLinear: Bool

        /// Why the weight cannot feed an 8-bit integer kernel (nil when it can): it must be an int8 / uint8
        /// per-tensor weight, or per-channel along `channelAxis`, written as DequantizeLinear.
        func integerKernelProblem(channelAxis: Int) -> String? {
            guard let q = quantized else { return "it is stored as \(form), not quantized" }
            guard isDequantizeLinear else { return "it is written as \(form), not DequantizeLinear" }
            guard q.bits == 8 else { return "it is \(q.dtype); integer kernels take int8 / uint8 weights" }
            if q.granularity == "per-tensor" { return nil }
            if q.granularity == "per-channel", q.axis == channelAxis { return nil }
            return "it is \(q.granularity)\(q.granularity == "per-group" ? " \(q.group)" : "") along axis \(q.axis); "
                + "integer kernels take per-tensor or per-output-channel (axis \(channelAxis)) scales"
        }
    }

    /// Edits an encoded model's main graph for the activation rules (static QDQ, int32 biases, the dynamic form):
    /// collects new nodes (inserted after a node index, −1 = at the start), node replacements and new / removed
    /// initializers, then assembles the graph in ``finish()`` so that nodes stay topologically sorted.
    struct ActivationWriter {
        typealias P = ONNXEncodeProto
        var model: Onnx_ModelProto
        let file: String
        let opset: Int
        let weights: [String: WrittenWeight]
        var names: ONNXEncodeNames
        var report: [String] = []
        var newInitializers: [Onnx_TensorProto] = []
        var removedInitializers: Set<String> = []
        /// Nodes to insert after node i of `model.graph.node` (key −1: at the start of the graph).
        var after: [Int: [Onnx_NodeProto]] = [:]
        /// Nodes that replace node i, in place.
        var replacement: [Int: [Onnx_NodeProto]] = [:]
        var removedNodes: Set<Int> = []
        /// Node index producing each value of the main graph.
        var producer: [String: Int] = [:]
        /// Index of each initializer in `model.graph.initializer`.
        var initializerIndex: [String: Int] = [:]

        init(model: Onnx_ModelProto, file: String, opset: Int, weights: [String: WrittenWeight]) {
            self.model = model
            self.file = file
            self.opset = opset
            self.weights = weights
            self.names = ONNXEncodeNames(model)
            for (i, n) in model.graph.node.enumerated() {
                for o in n.output where !o.isEmpty { producer[o] = i }
            }
            for (i, t) in model.graph.initializer.enumerated() { initializerIndex[t.name] = i }
        }

        /// Adds an initializer named `base` (or `base_1`, … when taken); returns its name.
        mutating func addInitializer(_ tensor: Onnx_TensorProto, base: String) -> String {
            var t = tensor
            t.name = names.fresh(base)
            newInitializers.append(t)
            return t.name
        }

        /// The tensor held by an initializer or a Constant node of the (original or new) graph.
        func tensor(named name: String) -> Onnx_TensorProto? {
            if let i = initializerIndex[name], !removedInitializers.contains(name) { return model.graph.initializer[i] }
            if let t = newInitializers.first(where: { $0.name == name }) { return t }
            if let i = producer[name] { return P.constantValue(model.graph.node[i]) }
            return nil
        }

        /// Where nodes computing from `value` can go: after its producer, or at the start (graph inputs,
        /// initializers).
        func position(of value: String) -> Int { producer[value] ?? -1 }

        /// How many times `name` is read: node inputs of the main graph (replacements included, removed nodes
        /// not), references from subgraphs, and graph outputs.
        func readCount(_ name: String) -> Int {
            var count = model.graph.output.filter { $0.name == name }.count
            for (i, n) in model.graph.node.enumerated() where !removedNodes.contains(i) {
                for m in replacement[i] ?? [n] {
                    count += m.input.filter { $0 == name }.count
                    for a in m.attribute {
                        if a.hasG, ONNXUsage.outerReferences(a.g).contains(name) { count += 1 }
                        count += a.graphs.filter { ONNXUsage.outerReferences($0).contains(name) }.count
                    }
                }
            }
            for list in after.values {
                for m in list { count += m.input.filter { $0 == name }.count }
            }
            return count
        }

        /// Makes every node of the main graph (and every subgraph that reads it from outside) read `to`
        /// instead of `from`. Nodes already collected in `after` / `replacement` are not touched.
        mutating func renameReads(of from: String, to: String) {
            for i in model.graph.node.indices {
                var n = model.graph.node[i]
                var changed = false
                for k in n.input.indices where n.input[k] == from {
                    n.input[k] = to
                    changed = true
                }
                for k in n.attribute.indices {
                    if n.attribute[k].hasG, Self.renameOuter(&n.attribute[k].g, from: from, to: to) { changed = true }
                    for j in n.attribute[k].graphs.indices where Self.renameOuter(&n.attribute[k].graphs[j], from: from, to: to) {
                        changed = true
                    }
                }
                if changed { model.graph.node[i] = n }
            }
        }

        /// Renames reads of the outer value `from` inside a subgraph (recursively) unless the subgraph defines a
        /// value of that name itself. Returns whether anything changed.
        static func renameOuter(_ g: inout Onnx_GraphProto, from: String, to: String) -> Bool {
            if g.input.contains(where: { $0.name == from }) || g.initializer.contains(where: { $0.name == from })
                || g.node.contains(where: { $0.output.contains(from) }) {
                return false
            }
            var changed = false
            for i in g.node.indices {
                for k in g.node[i].input.indices where g.node[i].input[k] == from {
                    g.node[i].input[k] = to
                    changed = true
                }
                for k in g.node[i].attribute.indices {
                    if g.node[i].attribute[k].hasG, renameOuter(&g.node[i].attribute[k].g, from: from, to: to) { changed = true }
                    for j in g.node[i].attribute[k].graphs.indices where renameOuter(&g.node[i].attribute[k].graphs[j], from: from, to: to) {
                        changed = true
                    }
                }
            }
            // Subgraph outputs are matched by position, so one that passes the outer value through can be renamed.
            for k in g.output.indices where g.output[k].name == from {
                g.output[k].name = to
                changed = true
            }
            return changed
        }

        /// A node named `base` (made unique).
        mutating func node(_ op: String, _ inputs: [String], _ outputs: [String], base: String,
                           attributes: [Onnx_AttributeProto] = []) -> Onnx_NodeProto {
            P.node(op, inputs, outputs, name: names.fresh("\(base)_\(op)"), attributes: attributes)
        }

        /// The assembled model: nodes at the start, then each original node (or its replacement, or nothing when
        /// removed) followed by the nodes inserted after it; initializers filtered and extended; IR ≥ 4 when
        /// initializers were added.
        func finish() -> Onnx_ModelProto {
            var m = model
            var nodes = after[-1] ?? []
            for (i, n) in model.graph.node.enumerated() {
                if !removedNodes.contains(i) { nodes += replacement[i] ?? [n] }
                nodes += after[i] ?? []
            }
            m.graph.node = nodes
            m.graph.initializer = m.graph.initializer.filter { !removedInitializers.contains($0.name) } + newInitializers
            if !newInitializers.isEmpty, m.irVersion < 4 { m.irVersion = 4 }
            return m
        }
    }
}
