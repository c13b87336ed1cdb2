import PareFormats
import PareONNXProto
import PareRuntime
import PareTensor

/// Size and compute of a model: parameters (elements of float weights) and FLOPs of its Conv, Gemm and MatMul
/// nodes on one sample (a multiply-accumulate counts 2; other ops are not counted), from the value shapes of one
/// interpreter run.
public struct ModelCost: Sendable, Hashable {
    /// Elements of every float initializer.
    public var parameters: Int
    /// FLOPs of the whole model on one sample.
    public var flops: Int
    /// FLOPs by the first output of each counted node.
    public var nodeFLOPs: [String: Int]

    /// Measures `artifact`: runs `sample` (or, when nil, zeros shaped like the graph inputs with unknown
    /// dimensions set to 1) through it in the interpreter to learn every value's shape.
    public static func measure(_ artifact: ModelArtifact, context: ModelPassContext, sample: [String: Tensor]? = nil) throws -> ModelCost {
        let interpreter = try context.open(artifact)
        let feeds = sample ?? context.samples.first ?? synthetic(interpreter)
        var shapes: [String: [Int]] = [:]
        _ = try interpreter.run(feeds) { name, t in shapes[name] = t.shape }
        let editor = try GraphEditor(artifact, store: context.store)
        for t in editor.graph.initializer { shapes[t.name] = t.dims.map(Int.init) }
        var parameters = 0
        for t in artifact.tensors where t.originDType.isFloatingPoint || t.dtype.isFloatingPoint || t.quant != nil || t.palette != nil {
            parameters += t.shape.elementCount ?? 0
        }
        let perNode = flops(editor.graph, shapes: shapes)
        return ModelCost(parameters: parameters, flops: perNode.values.reduce(0, +), nodeFLOPs: perNode)
    }

    /// Zeros shaped like the interpreter's inputs (unknown dimensions 1).
    public static func synthetic(_ interpreter: Interpreter) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for name in interpreter.inputNames {
            let (dtype, dims) = interpreter.inputTypes[name] ?? (nil, [])
            let shape = dims.map { $0 ?? 1 }
            let n = shape.reduce(1, *)
            if let dtype, !dtype.isFloatingPoint {
                out[name] = Tensor(ints: [Int64](repeating: 0, count: n), shape: shape, dtype: dtype)
            } else {
                out[name] = Tensor(floats: [Float](repeating: 0, count: n), shape: shape, dtype: dtype ?? .float32)
            }
        }
        return out
    }

    /// FLOPs of each Conv, Gemm and MatMul node by its first output, given every value's shape.
    public static func flops(_ graph: Onnx_GraphProto, shapes: [String: [Int]]) -> [String: Int] {
        var out: [String: Int] = [:]
        for n in graph.node where !n.output.isEmpty {
            guard let y = shapes[n.output[0]] else { continue }
            let outputs = y.reduce(1, *)
            switch n.opType {
            case "Conv":
                guard n.input.count > 1, let w = shapes[n.input[1]], w.count >= 3 else { continue }
                // Each output element: Cin/group · kernel MACs.
                out[n.output[0]] = 2 * outputs * w.dropFirst().reduce(1, *)
            case "Gemm", "MatMul", "MatMulInteger", "MatMulNBits":
                guard let a = shapes[n.input[0]], let k = a.last else { continue }
                var transA = false
                for attr in n.attribute where attr.name == "transA" { transA = attr.i != 0 }
                let kk = n.opType == "Gemm" && transA ? (a.first ?? k) : k
                out[n.output[0]] = 2 * outputs * kk
            default:
                continue
            }
        }
        return out
    }
}
