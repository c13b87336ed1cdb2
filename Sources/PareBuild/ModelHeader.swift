import PareFormats
import PareTensor

/// What planning needs to know about the source model, read without loading its weights: the format and the
/// tensor table (names, dtypes, shapes, sizes).
public struct ModelHeader: Sendable {
    public struct Tensor: Sendable, Hashable {
        public var name: String
        public var dtype: DType
        public var shape: Shape
        public var byteCount: Int
    }
    public var format: ModelFileFormat
    public var tensors: [Tensor]
    /// The output-channel axis of each weight that is not on axis 0 (ONNX MatMul weights [K, N]: axis 1).
    public var channelAxes: [String: Int] = [:]
    /// ONNX: weights read only as the weight input (input 1) of Conv, Gemm or MatMul nodes — the layers the graph
    /// passes (lowrank, channel pruning, gptq, distill) work on.
    public var layerWeights: Set<String> = []
    /// ONNX: weights of the layers that compute a graph output (their output channels are never pruned).
    public var outputLayerWeights: Set<String> = []

    /// The matrix view (rows = output channels) of a tensor, as the quantize pass will see it.
    public func matrix(of t: Tensor) -> (rows: Int, cols: Int) {
        let axis = channelAxes[t.name] ?? 0
        guard axis > 0, axis < t.shape.rank else { return t.shape.matrix }
        let n = t.shape.elementCount ?? 0
        let rows = t.shape.dims[axis]
        return (rows, rows == 0 ? 0 : n / rows)
    }

    init(safetensors h: SafetensorsHeader) {
        format = .safetensors
        tensors = h.tensors.map { Tensor(name: $0.name, dtype: $0.dtype, shape: $0.shape, byteCount: $0.byteCount) }
    }

    init(onnx f: ONNXFile) {
        format = .onnx
        tensors = f.tensors.map { Tensor(name: $0.name, dtype: $0.dtype, shape: $0.shape, byteCount: $0.byteCount) }
        let usage = ONNXUsage.analyze(f.model.graph)
        channelAxes = usage.compactMapValues(\.channelAxis).filter { $0.value != 0 }
        let outputs = Set(f.model.graph.output.map(\.name))
        outputLayerWeights = Set(f.model.graph.node.filter { n in n.output.contains { outputs.contains($0) } && n.input.count > 1 }.map { $0.input[1] })
        layerWeights = Set(usage.values.filter { u in
            !u.consumers.isEmpty && u.consumers.allSatisfy { ["Conv", "Gemm", "MatMul"].contains($0.opType) && $0.input == 1 && ($0.domain.isEmpty || $0.domain == "ai.onnx") }
        }.map(\.name))
    }

    /// The ai.onnx opsets pare reads and writes.
    public static let supportedOpsets = 11...21

    /// Reads the header of a model file of a known format; errors name the file (and tensor or node).
    static func read(path: String, format: ModelFileFormat) throws -> ModelHeader {
        switch format {
        case .safetensors:
            return ModelHeader(safetensors: try SafetensorsHeader.read(path: path))
        case .onnx:
            let f = try ONNXFile(path: path)
            let opset = f.opsetImports[""] ?? f.opsetImports["ai.onnx"]
            guard let opset else {
                throw FormatError(file: path, tensor: nil, message: "the model imports no ai.onnx opset; re-export it with an opset between \(supportedOpsets.lowerBound) and \(supportedOpsets.upperBound)")
            }
            guard supportedOpsets.contains(opset) else {
                throw FormatError(file: path, tensor: nil, message: "opset \(opset) is not one pare knows (it reads \(supportedOpsets.lowerBound)–\(supportedOpsets.upperBound)); re-export the model with an opset in that range")
            }
            return ModelHeader(onnx: f)
        case .gguf:
            throw FormatError(file: path, tensor: nil, message: "GGUF models are not read by this version of pare; use safetensors or ONNX")
        }
    }
}
