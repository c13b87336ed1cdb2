import PareBasics
import PareFormats
import PareONNXProto
import PareRecipe
import PareRuntime
import PareTensor

/// `fold`: graph simplifications that keep what the model computes, up to float rounding.
///
/// 1. `identities`: Identity nodes, and Dropout nodes whose mask output is unused (inference: Dropout is the
///    identity), are removed; their readers read the input instead. A node whose output is a graph output is
///    kept when its input is a graph input too (the output name must survive).
/// 2. `constants`: nodes whose inputs are all constants (initializers, or outputs of such nodes) and whose op is
///    deterministic are evaluated once in the reference interpreter; the values the rest of the graph reads
///    become initializers and the constant nodes go. Not folded: Quantize/DequantizeLinear (a quantized source
///    keeps its form), random ops, and nodes whose output has more elements than their inputs together
///    (Expand, Tile, ConstantOfShape: folding would grow the file). Only float32 and int64 results are folded.
/// 3. `batchnorm`: BatchNormalization (inference form: one output, `training_mode` 0) after a Conv, or after a
///    Gemm whose output is [N, C], whose producer's output feeds only the BN and whose parameters are constants:
///    with k = γ / √(var + ε) per channel, W' = k·W (per output channel) and b' = k·(b − mean) + β. The producer
///    takes the BN's output name.
/// Folding never reads weights an earlier pass encoded (the recipe order rules put fold first).
public struct FoldPass: ModelPass {
    public static let name = "fold"
    public static let version = 1
    public let id: String
    public let config: FoldConfig

    public init(id: String, config: FoldConfig) {
        self.id = id
        self.config = config
    }

    public func run(_ model: ModelArtifact, context: ModelPassContext) throws -> ModelPassOutput {
        let before = try ModelCost.measure(model, context: context)
        let editor = try GraphEditor(model, store: context.store)
        let nodesBefore = editor.graph.node.count
        var rows: [LayerChange] = []
        if config.identities { rows += try removeIdentities(editor) }
        if config.constants { rows += try foldConstants(editor, context: context) }
        if config.batchNorm { rows += try foldBatchNorms(editor) }
        let out = try editor.finish()
        let after = try ModelCost.measure(out, context: context)
        let report = PassReport(pass: Self.name, id: id, layers: rows, parametersBefore: before.parameters, parametersAfter: after.parameters,
                                flopsBefore: before.flops, flopsAfter: after.flops,
                                notes: ["nodes: \(nodesBefore) → \(editor.graph.node.count)"])
        return ModelPassOutput(artifact: out, report: report)
    }

    // MARK: identities

    func removeIdentities(_ e: GraphEditor) throws -> [LayerChange] {
        var rows: [LayerChange] = []
        var i = 0
        while i < e.graph.node.count {
            let n = e.graph.node[i]
            let isIdentity = n.opType == "Identity" && n.domain.isEmpty
            let isDropout = n.opType == "Dropout" && n.domain.isEmpty && (n.output.count < 2 || n.output[1].isEmpty || e.consumers(of: n.output[1]).isEmpty && !e.isGraphOutput(n.output[1]))
            guard (isIdentity || isDropout), !n.input.isEmpty, !n.input[0].isEmpty, let y = n.output.first else { i += 1; continue }
            let x = n.input[0]
            if e.isGraphOutput(y) {
                // The output name must survive: rename x's producer instead, if x is a plain node output read only here.
                guard let p = e.producer(of: x), !e.isGraphOutput(x), e.consumers(of: x) == [i] else { i += 1; continue }
                var g = e.graph
                for k in g.node[p].output.indices where g.node[p].output[k] == x { g.node[p].output[k] = y }
                e.graph = g
            } else {
                e.replaceUses(of: y, with: x)
            }
            rows.append(LayerChange(layer: n.name.isEmpty ? y : n.name, action: "removed \(n.opType)"))
            e.removeNodes([i])
        }
        return rows
    }

    // MARK: constants

    static let neverFold: Set<String> = ["QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "RandomNormal", "RandomUniform",
                                         "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli", "If", "Loop", "Scan"]

    func foldConstants(_ e: GraphEditor, context: ModelPassContext) throws -> [LayerChange] {
        var constant = Set(e.graph.initializer.map(\.name))
        var folded: [Int] = []
        var elements: [String: Int] = [:]
        for t in e.graph.initializer { elements[t.name] = t.dims.reduce(1) { $0 * Int($1) } }
        // Nodes are in topological order in a valid ONNX graph.
        for (i, n) in e.graph.node.enumerated() {
            guard n.domain.isEmpty || n.domain == "ai.onnx", !Self.neverFold.contains(n.opType),
                  n.input.allSatisfy({ $0.isEmpty || constant.contains($0) }), !n.input.filter({ !$0.isEmpty }).isEmpty else { continue }
            folded.append(i)
            constant.formUnion(n.output.filter { !$0.isEmpty })
        }
        guard !folded.isEmpty else { return [] }
        let foldedSet = Set(folded)
        // The values read outside the folded nodes (or graph outputs): those become initializers.
        var frontier: [String] = []
        var seen = Set<String>()
        for (i, n) in e.graph.node.enumerated() where !foldedSet.contains(i) {
            for x in n.input where !x.isEmpty && !seen.contains(x) && folded.contains(where: { e.graph.node[$0].output.contains(x) }) {
                seen.insert(x); frontier.append(x)
            }
        }
        for o in e.graph.output where !seen.contains(o.name) && folded.contains(where: { e.graph.node[$0].output.contains(o.name) }) {
            seen.insert(o.name); frontier.append(o.name)
        }
        guard !frontier.isEmpty else { e.removeNodes(foldedSet); return [] }
        // Evaluate: a model of the folded nodes alone, whose outputs are the frontier.
        var sub = e.model
        sub.graph.node = folded.map { e.graph.node[$0] }
        sub.graph.input = []
        sub.graph.output = frontier.map { name -> Onnx_ValueInfoProto in
            var v = Onnx_ValueInfoProto()
            v.name = name
            return v
        }
        let subDigest = try context.store.put(sub.serializedBytes() as [UInt8])
        var subArtifact = e.artifact
        subArtifact.graph = subDigest
        subArtifact.activations = nil
        let editorTensors = Set(e.graph.initializer.map(\.name))
        subArtifact.tensors = subArtifact.tensors.filter { editorTensors.contains($0.name) }
        let values = try context.open(subArtifact).run([:])
        var keep: Set<String> = []
        var rows: [LayerChange] = []
        for name in frontier {
            guard let v = values[name] else { continue }
            // Elements of the initializers the value is computed from (transitively).
            var sources = Set<String>(), stack = [name], visited = Set<String>()
            while let x = stack.popLast() {
                guard visited.insert(x).inserted else { continue }
                if let p = folded.first(where: { e.graph.node[$0].output.contains(x) }) {
                    stack += e.graph.node[p].input.filter { !$0.isEmpty }
                } else {
                    sources.insert(x)
                }
            }
            let inputElements = sources.reduce(0) { $0 + (elements[$1] ?? 0) }
            if v.count > max(inputElements, 1) || !(v.dtype == .float32 || v.dtype == .int64) {
                keep.insert(name)
                continue
            }
            elements[name] = v.count
            if v.dtype == .float32 { try e.setFloats(name, v.asFloats, shape: v.shape) } else { try e.setInts(name, v.ints ?? [], shape: v.shape) }
            let producer = folded.first { e.graph.node[$0].output.contains(name) }!
            rows.append(LayerChange(layer: name, action: "folded constant \(e.graph.node[producer].opType) into an initializer"))
        }
        // Keep every folded node something kept still needs (and their constant inputs stay).
        var needed = Set<Int>()
        var stack = Array(keep)
        while let x = stack.popLast() {
            guard let p = folded.first(where: { e.graph.node[$0].output.contains(x) }), needed.insert(p).inserted else { continue }
            stack += e.graph.node[p].input.filter { !$0.isEmpty }
        }
        e.removeNodes(foldedSet.subtracting(needed))
        return rows
    }

    // MARK: batch normalization

    func foldBatchNorms(_ e: GraphEditor) throws -> [LayerChange] {
        var rows: [LayerChange] = []
        var i = 0
        while i < e.graph.node.count {
            let bn = e.graph.node[i]
            guard bn.opType == "BatchNormalization", bn.domain.isEmpty, bn.input.count == 5, bn.input[1...].allSatisfy(e.isInitializer),
                  bn.output.count == 1 || bn.output[1...].allSatisfy({ $0.isEmpty }),
                  !bn.attribute.contains(where: { $0.name == "training_mode" && $0.i != 0 }),
                  let p = e.producer(of: bn.input[0]), e.consumers(of: bn.input[0]) == [i], !e.isGraphOutput(bn.input[0])
            else { i += 1; continue }
            let producer = e.graph.node[p]
            let eps = bn.attribute.first { $0.name == "epsilon" }.map { Double($0.f) } ?? 1e-5
            let gamma = try e.floats(bn.input[1]), beta = try e.floats(bn.input[2])
            let mean = try e.floats(bn.input[3]), variance = try e.floats(bn.input[4])
            let c = gamma.count
            guard beta.count == c, mean.count == c, variance.count == c else { i += 1; continue }
            let k = (0..<c).map { Double(gamma[$0]) / (Double(variance[$0]) + eps).squareRoot() }
            let folded: Bool
            switch producer.opType {
            case "Conv" where producer.domain.isEmpty:
                folded = try foldIntoConv(e, node: p, k: k, mean: mean, beta: beta)
            case "Gemm" where producer.domain.isEmpty:
                folded = try foldIntoGemm(e, node: p, k: k, mean: mean, beta: beta)
            default:
                folded = false
            }
            guard folded else { i += 1; continue }
            // The producer now computes the BN's output.
            var g = e.graph
            g.node[p].output[0] = bn.output[0]
            e.graph = g
            e.removeNodes([i])
            rows.append(LayerChange(layer: producer.input[1], action: "folded \(bn.name.isEmpty ? "BatchNormalization" : bn.name) into \(producer.name.isEmpty ? producer.opType : producer.name)"))
        }
        return rows
    }

    /// Conv weight [Cout, Cin/g, k...]: row o scaled by k[o]; bias b' = k·(b − mean) + β.
    private func foldIntoConv(_ e: GraphEditor, node p: Int, k: [Double], mean: [Float], beta: [Float]) throws -> Bool {
        let conv = e.graph.node[p]
        guard conv.input.count >= 2, e.isInitializer(conv.input[1]), let shape = e.shape(conv.input[1]), shape.first == k.count else { return false }
        if conv.input.count > 2, !conv.input[2].isEmpty, !e.isInitializer(conv.input[2]) { return false }
        let w = try e.floats(conv.input[1])
        let per = w.count / k.count
        var w2 = w
        for o in 0..<k.count { for j in 0..<per { w2[o * per + j] = Float(Double(w[o * per + j]) * k[o]) } }
        let hasBias = conv.input.count > 2 && !conv.input[2].isEmpty
        let b = hasBias ? try e.floats(conv.input[2]) : [Float](repeating: 0, count: k.count)
        let b2 = (0..<k.count).map { Float(k[$0] * (Double(b[$0]) - Double(mean[$0])) + Double(beta[$0])) }
        let weightName = try writable(e, conv.input[1], node: p, input: 1)
        try e.setFloats(weightName, w2, shape: shape)
        e.noteChanged(weightName, by: id)
        let biasName = hasBias ? try writable(e, conv.input[2], node: p, input: 2) : e.uniqueName(weightName.replacingSuffix(".weight", with: ".bias"))
        try e.setFloats(biasName, b2, shape: [k.count])
        e.noteChanged(biasName, by: id)
        var g = e.graph
        if g.node[p].input.count < 3 { g.node[p].input.append(biasName) } else { g.node[p].input[2] = biasName }
        e.graph = g
        return true
    }

    /// Gemm Y = α·A·op(B) + β·C with Y [N, C]: column j of op(B) and of the bias scaled by k[j].
    private func foldIntoGemm(_ e: GraphEditor, node p: Int, k: [Double], mean: [Float], beta: [Float]) throws -> Bool {
        let gemm = e.graph.node[p]
        guard gemm.input.count >= 2, e.isInitializer(gemm.input[1]), let shape = e.shape(gemm.input[1]), shape.count == 2 else { return false }
        let transB = gemm.attribute.first { $0.name == "transB" }?.i ?? 0
        let gBeta = Double(gemm.attribute.first { $0.name == "beta" }?.f ?? 1)
        let n = transB != 0 ? shape[0] : shape[1]
        guard n == k.count else { return false }
        if gemm.input.count > 2, !gemm.input[2].isEmpty {
            guard e.isInitializer(gemm.input[2]), let cs = e.shape(gemm.input[2]), cs.reduce(1, *) == n || cs.reduce(1, *) == 1 else { return false }
        }
        let w = try e.floats(gemm.input[1])
        var w2 = w
        for idx in w.indices {
            let j = transB != 0 ? idx / shape[1] : idx % shape[1]
            w2[idx] = Float(Double(w[idx]) * k[j])
        }
        let hasC = gemm.input.count > 2 && !gemm.input[2].isEmpty
        var c = [Double](repeating: 0, count: n)
        if hasC {
            let cv = try e.floats(gemm.input[2])
            for j in 0..<n { c[j] = gBeta * Double(cv.count == 1 ? cv[0] : cv[j]) }
        }
        // Y' = k·(α·A·B + β·C − mean) + βbn = α·A·(B·k) + 1·[k·(β·C − mean) + βbn]
        let c2 = (0..<n).map { Float(k[$0] * (c[$0] - Double(mean[$0])) + Double(beta[$0])) }
        let weightName = try writable(e, gemm.input[1], node: p, input: 1)
        try e.setFloats(weightName, w2, shape: shape)
        e.noteChanged(weightName, by: id)
        let biasName = hasC ? try writable(e, gemm.input[2], node: p, input: 2) : e.uniqueName(weightName.replacingSuffix(".weight", with: ".bias"))
        try e.setFloats(biasName, c2, shape: [n])
        e.noteChanged(biasName, by: id)
        var g = e.graph
        if g.node[p].input.count < 3 { g.node[p].input.append(biasName) } else { g.node[p].input[2] = biasName }
        var hasBetaAttr = false
        for a in g.node[p].attribute.indices where g.node[p].attribute[a].name == "beta" { g.node[p].attribute[a].f = 1; hasBetaAttr = true }
        _ = hasBetaAttr
        e.graph = g
        return true
    }

    /// The name to write a node's constant input under: itself when only this node reads it, else a fresh copy's
    /// name (so other readers keep the old values), wired into the node.
    private func writable(_ e: GraphEditor, _ name: String, node p: Int, input k: Int) throws -> String {
        if e.consumers(of: name) == [p] && !e.isGraphOutput(name) { return name }
        let fresh = e.uniqueName(name + ".folded")
        var g = e.graph
        g.node[p].input[k] = fresh
        e.graph = g
        return fresh
    }
}

extension String {
    /// The string with `suffix` replaced by `replacement`, or with `replacement` appended when it lacks `suffix`.
    func replacingSuffix(_ suffix: String, with replacement: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) + replacement : self + replacement
    }
}
