import Foundation
import PareONNXProto
import PareTensor

/// The interpreter's load-time graph rewrites, which leave every graph output as the graph as written computes it
/// (up to float32 rounding for the fold) and make `Interpreter.run` faster:
///
/// 1. **Conv + BatchNormalization fold.** A Conv whose weight W and bias B (when given) are float32 constants,
///    whose output is read only by one BatchNormalization (not a graph output), where that BN has float32
///    constant scale γ, B β, mean μ and var σ², `training_mode` 0, `spatial` 1 when set, one output, and one value
///    per output channel, becomes one Conv with new constants (computed in Double, rounded once to float32), per
///    output channel m: s = γ[m] / √(σ²[m] + ε), W'[m, …] = W[m, …] · s, B'[m] = (B[m] − μ[m]) · s + β[m]
///    (B = 0 when the Conv has none). ONNX Runtime folds the same way.
/// 2. **Conv + Relu / Clip fusion.** A Conv (after 1.) whose weight is a float32 constant and whose output is read
///    only by one Relu, or one Clip with constant scalar float bounds (inputs from opset 11, attributes before),
///    not a graph output, computes the activation in one pass over its output (`ConvActivation`), bit for bit
///    what the separate op computes.
///
/// 3. **MatMul + Add fusion.** A MatMul whose output is read only by one Add (not a graph output) whose other
///    operand is a float32 constant becomes one node computing A·B + bias with a single sgemm
///    (`Ops.matMulBias`, which falls back to MatMul then Add for shapes or types it does not take).
///
/// No constant that is also a graph input (which a run may override) is used, and the original constants stay as
/// they are (another node may read them). Folded constants are named `<BN output>/pare.folded.{weight,bias}`.
struct InterpreterRewrites {
    var nodes: [InterpreterPlan.Node]
    var constants: [String: Tensor]
    let graphInputs: Set<String>
    let graphOutputs: Set<String>

    init(nodes: [InterpreterPlan.Node], constants: [String: Tensor], graphInputs: Set<String>, graphOutputs: Set<String>) {
        self.nodes = nodes
        self.constants = constants
        self.graphInputs = graphInputs
        self.graphOutputs = graphOutputs
    }

    /// Applies every rewrite; true when something changed.
    mutating func apply() -> Bool {
        let folded = foldBatchNormalization()
        let fused = fuseActivations()
        let biased = fuseMatMulBias()
        return folded || fused || biased
    }

    /// A float32 constant no run can override.
    func constant(_ name: String) -> [Float]? {
        guard !name.isEmpty, !graphInputs.contains(name), let t = constants[name], t.dtype == .float32 else { return nil }
        return t.floats
    }

    static func isDefault(_ n: Onnx_NodeProto, _ op: String) -> Bool {
        n.opType == op && (n.domain.isEmpty || n.domain == "ai.onnx")
    }

    /// For each `op` output read by exactly one node and not a graph output: (node index, reader index).
    func singleReaderPairs(_ op: String = "Conv") -> [(Int, Int)] {
        var readers: [String: [Int]] = [:]
        for (i, n) in nodes.enumerated() {
            for name in n.node.input where !name.isEmpty { readers[name, default: []].append(i) }
        }
        var pairs: [(Int, Int)] = []
        for (i, n) in nodes.enumerated() where Self.isDefault(n.node, op) && n.kernel != nil {
            guard n.node.output.count == 1, let out = n.node.output.first, !graphOutputs.contains(out),
                  let r = readers[out], r.count == 1 else { continue }
            pairs.append((i, r[0]))
        }
        return pairs
    }

    func unusedName(_ base: String) -> String {
        var name = base, k = 1
        while constants[name] != nil || graphInputs.contains(name) { name = "\(base).\(k)"; k += 1 }
        return name
    }

    mutating func foldBatchNormalization() -> Bool {
        var removed = Set<Int>()
        for (ci, bi) in singleReaderPairs() {
            let conv = nodes[ci].node, bn = nodes[bi].node
            guard Self.isDefault(bn, "BatchNormalization"), bn.input.count == 5, bn.input[0] == conv.output[0],
                  bn.output.count >= 1, bn.output.dropFirst().allSatisfy(\.isEmpty), !bn.output[0].isEmpty,
                  (bn.attribute.first { $0.name == "training_mode" }?.i ?? 0) == 0,
                  (bn.attribute.first { $0.name == "spatial" }?.i ?? 1) == 1,
                  conv.input.count >= 2, let w = constant(conv.input[1]), let ws = constants[conv.input[1]]?.shape, ws.count >= 3,
                  let gamma = constant(bn.input[1]), let beta = constant(bn.input[2]),
                  let mean = constant(bn.input[3]), let variance = constant(bn.input[4]) else { continue }
            let m = ws[0]
            guard m > 0, [gamma, beta, mean, variance].allSatisfy({ $0.count == m }), w.count % m == 0 else { continue }
            var bias = [Float](repeating: 0, count: m)
            if conv.input.count > 2 && !conv.input[2].isEmpty {
                guard let b = constant(conv.input[2]), b.count == m else { continue }
                bias = b
            }
            let eps = Double(bn.attribute.first { $0.name == "epsilon" }?.f ?? 1e-5)
            let per = w.count / m
            var w2 = [Float](repeating: 0, count: w.count), b2 = [Float](repeating: 0, count: m)
            for k in 0..<m {
                let s = Double(gamma[k]) / (Double(variance[k]) + eps).squareRoot()
                for j in 0..<per { w2[k * per + j] = Float(Double(w[k * per + j]) * s) }
                b2[k] = Float((Double(bias[k]) - Double(mean[k])) * s + Double(beta[k]))
            }
            let wName = unusedName(bn.output[0] + "/pare.folded.weight")
            constants[wName] = Tensor(floats: w2, shape: ws)
            let bName = unusedName(bn.output[0] + "/pare.folded.bias")
            constants[bName] = Tensor(floats: b2, shape: [m])
            var fused = conv
            fused.input = [conv.input[0], wName, bName]
            fused.output = [bn.output[0]]
            nodes[ci].node = fused
            nodes[ci].label += " + " + nodes[bi].label
            removed.insert(bi)
        }
        nodes = nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
        return !removed.isEmpty
    }

    /// The activation of a Relu or Clip node, when its bounds are constants.
    func activation(_ n: InterpreterPlan.Node) -> ConvActivation? {
        let node = n.node
        if Self.isDefault(node, "Relu") && node.input.count == 1 { return .relu }
        guard Self.isDefault(node, "Clip"), node.input.count >= 1 else { return nil }
        func bound(_ i: Int, _ attr: String, _ fallback: Float) -> Float? {
            if i < node.input.count && !node.input[i].isEmpty {
                guard let v = constant(node.input[i]), v.count == 1 else { return nil }
                return v[0]
            }
            return node.attribute.first { $0.name == attr }?.f ?? fallback
        }
        guard let lo = bound(1, "min", -Float.greatestFiniteMagnitude), let hi = bound(2, "max", Float.greatestFiniteMagnitude) else { return nil }
        return .clip(lo: lo, hi: hi)
    }

    mutating func fuseActivations() -> Bool {
        var removed = Set<Int>()
        for (ci, ai) in singleReaderPairs() {
            let conv = nodes[ci].node, act = nodes[ai].node
            guard conv.input.count >= 2, constant(conv.input[1]) != nil, act.input.first == conv.output[0],
                  act.output.count == 1, !act.output[0].isEmpty, let a = activation(nodes[ai]) else { continue }
            var fused = conv
            fused.output = [act.output[0]]
            nodes[ci].node = fused
            nodes[ci].label += " + " + nodes[ai].label
            nodes[ci].kernel = { try Ops.conv($0, activation: a) }
            removed.insert(ai)
        }
        nodes = nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
        return !removed.isEmpty
    }

    mutating func fuseMatMulBias() -> Bool {
        var removed = Set<Int>()
        for (mi, ai) in singleReaderPairs("MatMul") {
            let mm = nodes[mi].node, add = nodes[ai].node
            guard mm.input.count == 2, Self.isDefault(add, "Add"), add.input.count == 2, add.output.count == 1, !add.output[0].isEmpty else { continue }
            let out = mm.output[0]
            let other = add.input[0] == out ? add.input[1] : add.input[0]
            guard add.input.contains(out), other != out, constant(other) != nil else { continue }
            var fused = mm
            fused.input = [mm.input[0], mm.input[1], other]
            fused.output = [add.output[0]]
            nodes[mi].node = fused
            nodes[mi].label += " + " + nodes[ai].label
            nodes[mi].kernel = Ops.matMulBias
            removed.insert(ai)
        }
        nodes = nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
        return !removed.isEmpty
    }
}
