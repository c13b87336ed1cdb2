import Dispatch
import PareFormats
import PareONNXProto
import PareTensor

/// A reference interpreter for ONNX models: runs the main graph on the CPU in float32 (float16 / bfloat16
/// values rounded to their type after each op), with the quantized ops pare emits (QuantizeLinear,
/// DequantizeLinear, DynamicQuantizeLinear, MatMulInteger, com.microsoft.MatMulNBits). Matrix products go
/// through OpenBLAS (`BLAS`). See docs/runtime.md for the op list.
///
/// Making an interpreter opens the model with `ONNXFile` (memory-mapped, lazily indexed), checks every op is
/// supported (`unsupportedOps`), checks the nodes are in topological order (a node reading a value nothing
/// before it defines is an error naming the node), and reads the constants (initializers, Constant nodes and
/// tensor attributes) once. `run` then executes the nodes in graph order, freeing each intermediate value after
/// its last use, and returns the graph outputs by name.
public final class Interpreter: @unchecked Sendable {
    public let path: String
    /// Graph inputs that are not initializers, in graph order.
    public let inputNames: [String]
    public let outputNames: [String]

    public let inputTypes: [String: (dtype: DType?, dims: [Int?])]
    /// The graph as written: used by `run(_:observe:)`, which reports every value the model defines.
    let exactPlan: InterpreterPlan
    /// The graph after the load-time rewrites of `InterpreterRewrites` (Conv + BatchNormalization folded, Conv +
    /// Relu / Clip and MatMul + constant Add fused): used by every other run. The same as `exactPlan` when nothing was rewritten.
    let plan: InterpreterPlan

    /// Opens the model at `path`.
    /// - Throws: `FormatError` when the file is not a readable ONNX model; `RuntimeError` listing every unsupported
    ///   op, or naming the first node that reads an undefined value.
    public convenience init(path: String, options: InterpreterOptions = InterpreterOptions()) throws {
        try self.init(file: try ONNXFile(path: path), options: options)
    }

    public init(file: ONNXFile, options: InterpreterOptions = InterpreterOptions()) throws {
        BLAS.setThreads(options.blasThreads)
        path = file.path
        let graph = file.model.graph
        let nodes = graph.node
        let labels = nodes.enumerated().map { $0.element.name.isEmpty ? "#\($0.offset)" : $0.element.name }

        let missing = Interpreter.unsupportedOps(file.model)
        if !missing.isEmpty {
            throw RuntimeError("\(file.path): the interpreter does not support \(missing.count == 1 ? "this op" : "these ops"): "
                               + missing.map(\.description).joined(separator: "; "))
        }

        var opsets: [String: Int] = [:]
        for o in file.model.opsetImport { opsets[o.domain == "ai.onnx" ? "" : o.domain] = Int(o.version) }
        let nodeOpsets = nodes.map { opsets[$0.domain == "ai.onnx" ? "" : $0.domain] ?? 1 }
        let kernels = nodes.map { n in Interpreter.isConstantNode(n) ? nil : Ops.registry[Ops.key(op: n.opType, domain: n.domain)] }

        // Constants: initializers and Constant node values, plus tensor attributes of other nodes.
        var constants: [String: Tensor] = [:]
        var nodeTensors: [Int: [String: Tensor]] = [:]
        for t in file.tensors {
            switch t.location {
            case .initializer:
                constants[t.name] = try TensorLoader.read(file, t)
            case .constantNode(let i, _, let attribute):
                if Interpreter.isConstantNode(nodes[i]) && attribute == "value" {
                    constants[t.name] = try TensorLoader.read(file, t)
                } else if !attribute.hasSuffix("]") {
                    nodeTensors[i, default: [:]][attribute] = try TensorLoader.read(file, t)
                }
            }
        }
        for (i, n) in nodes.enumerated() where Interpreter.isConstantNode(n) {
            guard let out = n.output.first else { continue }
            if constants[out] == nil {
                guard let v = TensorLoader.constantAttribute(n) else {
                    throw RuntimeError(node: labels[i], op: "Constant", "has no value the interpreter reads (value, value_float(s), value_int(s))")
                }
                constants[out] = v
            }
        }

        // Graph inputs (an input with an initializer of the same name may be overridden at run time).
        let initializerNames = Set(graph.initializer.map(\.name))
        inputNames = graph.input.map(\.name).filter { !initializerNames.contains($0) }
        outputNames = graph.output.map(\.name)
        var types: [String: (dtype: DType?, dims: [Int?])] = [:]
        for vi in graph.input {
            let tt = vi.type.tensorType
            types[vi.name] = (ONNXDataType.dtype(code: Int(tt.elemType)),
                              tt.hasShape ? tt.shape.dim.map { if case .dimValue(let v)? = $0.value { return Int(v) } else { return nil } } : [])
        }
        inputTypes = types

        // Topological order and last uses.
        var defined = Set(graph.input.map(\.name)).union(initializerNames)
        for (i, n) in nodes.enumerated() {
            for name in n.input where !name.isEmpty {
                guard defined.contains(name) else {
                    throw RuntimeError(node: labels[i], op: Ops.key(op: n.opType, domain: n.domain),
                                       "reads '\(name)', which no earlier node, graph input or initializer defines (the graph is not in topological order, or the value is missing)")
                }
            }
            for name in n.output where !name.isEmpty { defined.insert(name) }
        }
        for name in outputNames where !defined.contains(name) {
            throw RuntimeError("\(file.path): graph output '\(name)' is not computed by any node")
        }

        // Plans: the graph as written, and after the load-time rewrites (docs/runtime.md, "Load-time rewrites").
        let planned = nodes.indices.map {
            InterpreterPlan.Node(node: nodes[$0], label: labels[$0], opset: nodeOpsets[$0], kernel: kernels[$0], tensorAttributes: nodeTensors[$0] ?? [:])
        }
        let graphInputs = graph.input.map(\.name)
        exactPlan = InterpreterPlan(nodes: planned, constants: constants, graphInputs: graphInputs, graphOutputs: outputNames)
        var rewritten = InterpreterRewrites(nodes: planned, constants: constants, graphInputs: Set(graphInputs), graphOutputs: Set(outputNames))
        if rewritten.apply() {
            plan = InterpreterPlan(nodes: rewritten.nodes, constants: rewritten.constants, graphInputs: graphInputs, graphOutputs: outputNames)
        } else {
            plan = exactPlan
        }
    }

    static func isConstantNode(_ n: Onnx_NodeProto) -> Bool {
        n.opType == "Constant" && (n.domain.isEmpty || n.domain == "ai.onnx")
    }

    /// The ops of `model`'s main graph that the interpreter lacks, each with the names of the nodes using it
    /// (`#<index>` for unnamed nodes), in order of first use.
    public static func unsupportedOps(_ model: Onnx_ModelProto) -> [UnsupportedOp] {
        var result: [UnsupportedOp] = []
        var position: [String: Int] = [:]
        for (i, n) in model.graph.node.enumerated() where !isConstantNode(n) {
            let key = Ops.key(op: n.opType, domain: n.domain)
            guard Ops.registry[key] == nil else { continue }
            let label = n.name.isEmpty ? "#\(i)" : n.name
            if let p = position[key] {
                result[p].nodeNames.append(label)
            } else {
                position[key] = result.count
                result.append(UnsupportedOp(op: n.opType, domain: n.domain == "ai.onnx" ? "" : n.domain, nodeNames: [label]))
            }
        }
        return result
    }

    /// The ops of the model at `file` that the interpreter lacks.
    public static func unsupportedOps(_ file: ONNXFile) -> [UnsupportedOp] { unsupportedOps(file.model) }

    /// Every op key the interpreter supports (`op` for ai.onnx, `domain:op` otherwise), sorted.
    public static var supportedOps: [String] { (Array(Ops.registry.keys) + ["Constant"]).sorted() }

    /// Runs the graph on `inputs` (by graph input name) and returns every graph output by name.
    /// - Throws: `RuntimeError` for a missing, unknown or mistyped input, or naming the node that fails.
    public func run(_ inputs: [String: Tensor]) throws -> [String: Tensor] {
        var timings: [String: Double]? = nil
        return try run(inputs, timings: &timings)
    }

    /// `run(_:)`, calling `observe` with every graph input and every value a node computes (by value name, in
    /// node order, each before any later node runs), e.g. to collect calibration statistics.
    public func run(_ inputs: [String: Tensor], observe: (String, Tensor) throws -> Void) throws -> [String: Tensor] {
        var timings: [String: Double]? = nil
        return try withoutActuallyEscaping(observe) { try run(inputs, timings: &timings, observe: $0) }
    }

    /// `run(_:)`, adding each node's wall time in milliseconds to `timings[op key]` when `timings` is not nil.
    /// With `observe`, the graph runs as written (no load-time rewrite), so every value it defines is observed.
    public func run(_ inputs: [String: Tensor], timings: inout [String: Double]?,
                    observe: ((String, Tensor) throws -> Void)? = nil) throws -> [String: Tensor] {
        let plan = observe == nil ? self.plan : exactPlan
        var env = plan.initial
        for name in inputNames {
            guard let t = inputs[name] else { throw RuntimeError("\(path): input '\(name)' is missing") }
            if let (dtype, dims) = inputTypes[name] {
                if let dtype, dtype != t.dtype { throw RuntimeError("\(path): input '\(name)' is \(t.dtype); the model expects \(dtype)") }
                let fits = dims.isEmpty || (dims.count == t.rank && zip(dims, t.shape).allSatisfy { $0.0 == nil || $0.0 == $0.1 })
                if !fits { throw RuntimeError("\(path): input '\(name)' has shape \(t.shape); the model expects \(dims.map { $0.map(String.init) ?? "?" })") }
            }
            env[plan.slots[name]!] = t
            try observe?(name, t)
        }
        if inputs.count > inputNames.count {
            let given = Set(inputNames)
            for (name, t) in inputs where !given.contains(name) {
                // An initializer that is also a graph input, overridden at run time.
                guard inputTypes[name] != nil, let s = plan.slots[name] else { throw RuntimeError("\(path): '\(name)' is not an input of the model (inputs: \(inputNames))") }
                env[s] = t
            }
        }
        for step in plan.steps {
            let ctx = OpContext(node: step.node, label: step.label, opset: step.opset, inputs: step.inputs.map { $0 < 0 ? nil : env[$0] },
                                tensorAttributes: step.tensorAttributes)
            let start = timings == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            let results = try step.kernel(ctx)
            if timings != nil {
                timings![step.opKey, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            }
            for (k, s) in step.outputs.enumerated() where s >= 0 {
                guard k < results.count else { throw ctx.fail("output \(k) ('\(step.node.output[k])') is not computed by the interpreter") }
                env[s] = results[k]
                try observe?(step.node.output[k], results[k])
            }
            for s in step.frees { env[s] = nil }
        }
        var out: [String: Tensor] = [:]
        for (name, s) in zip(outputNames, plan.outputSlots) { out[name] = env[s] }
        return out
    }
}
