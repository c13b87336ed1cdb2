import PareONNXProto
import PareTensor

/// What `Interpreter.run` executes: the graph's nodes in order, each with its kernel and with its inputs,
/// outputs and the values to free after it resolved to integer slots of one value array, so a run does no
/// dictionary look-up per node. Slot `s` of `initial` holds the constant of that value (initializers, Constant
/// nodes, folded weights) or nil; a run copies `initial`, puts the graph inputs in their slots, and each node
/// reads its inputs from and writes its outputs to slots. A value is freed (its slot set to nil) right after its
/// last reader, or right after the node that computes it when nothing reads it; graph outputs and constants are
/// never freed.
struct InterpreterPlan {
    /// One node as planned: the node, its label for errors, its domain's opset, its kernel (nil: a Constant
    /// node, whose value is already in `initial`) and its tensor attributes.
    struct Node {
        var node: Onnx_NodeProto
        var label: String
        var opset: Int
        var kernel: Kernel?
        var tensorAttributes: [String: Tensor]
    }

    struct Step {
        let node: Onnx_NodeProto
        let label: String
        let opset: Int
        let opKey: String
        let kernel: Kernel
        let tensorAttributes: [String: Tensor]
        /// Slot of each input; -1 for an omitted optional input.
        let inputs: [Int]
        /// Slot of each output; -1 for an omitted output.
        let outputs: [Int]
        /// Slots to free after this step.
        let frees: [Int]
    }

    let steps: [Step]
    /// Slot of every value name the graph mentions.
    let slots: [String: Int]
    let initial: [Tensor?]
    /// Slot of each graph output, in graph order.
    let outputSlots: [Int]

    /// Plans `nodes` (already checked to be in topological order) with `constants` by value name.
    init(nodes: [Node], constants: [String: Tensor], graphInputs: [String], graphOutputs: [String]) {
        var slots: [String: Int] = [:]
        func slot(_ name: String) -> Int {
            if let s = slots[name] { return s }
            let s = slots.count
            slots[name] = s
            return s
        }
        for name in graphInputs { _ = slot(name) }
        for name in constants.keys.sorted() { _ = slot(name) }
        var last: [Int: Int] = [:]      // slot → index of its last reader or, when unread, of its producer
        for (i, n) in nodes.enumerated() {
            for name in n.node.input where !name.isEmpty { last[slot(name)] = i }
            for name in n.node.output where !name.isEmpty {
                let s = slot(name)
                if last[s] == nil { last[s] = i }
            }
        }
        for name in graphOutputs { _ = slot(name) }
        let keep = Set(graphOutputs.map { slots[$0]! }).union(constants.keys.map { slots[$0]! }).union(graphInputs.map { slots[$0]! })
        var frees = [[Int]](repeating: [], count: nodes.count)
        for (s, i) in last where !keep.contains(s) { frees[i].append(s) }
        var initial = [Tensor?](repeating: nil, count: slots.count)
        for (name, t) in constants { initial[slots[name]!] = t }
        var steps: [Step] = []
        for (i, n) in nodes.enumerated() {
            guard let kernel = n.kernel else { continue }
            steps.append(Step(node: n.node, label: n.label, opset: n.opset, opKey: Ops.key(op: n.node.opType, domain: n.node.domain),
                              kernel: kernel, tensorAttributes: n.tensorAttributes,
                              inputs: n.node.input.map { $0.isEmpty ? -1 : slots[$0]! },
                              outputs: n.node.output.map { $0.isEmpty ? -1 : slots[$0]! }, frees: frees[i].sorted()))
        }
        self.steps = steps
        self.slots = slots
        self.initial = initial
        outputSlots = graphOutputs.map { slots[$0]! }
    }
}
