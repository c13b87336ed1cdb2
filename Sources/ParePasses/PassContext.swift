import Foundation
import PareBasics
import PareFormats
import PareKernels
import PareTensor
import PareONNXProto
import SwiftProtobuf

/// What a pass may use while it runs: the blob store and a thread budget.
public struct PassContext: Sendable {
    public var store: any BlobStore
    /// Threads a kernel may use for one tensor.
    public var threads: Int

    public init(store: any BlobStore, threads: Int) {
        self.store = store
        self.threads = max(1, threads)
    }

    /// The tensor's values as float32: a zero-copy view of a float32 blob, or a converted copy of
    /// float16 / bfloat16 / float64 data. Quantized or integer tensors are an error.
    public func floats(digest: Digest, dtype: DType, name: String) throws -> FloatValues {
        let data = try store.mapped(digest)
        switch dtype {
        case .float32:
            return FloatValues(storage: .mapped(data))
        case .float16, .bfloat16:
            let halves: [UInt16] = data.withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)) }
            let f = halves.withUnsafeBufferPointer { dtype == .float16 ? HalfPrecision.fromFloat16($0) : HalfPrecision.fromBFloat16($0) }
            return FloatValues(storage: .owned(f))
        case .float64:
            let f: [Float] = data.withUnsafeBytes { raw in raw.bindMemory(to: Double.self).map { Float($0) } }
            return FloatValues(storage: .owned(f))
        default:
            throw PassError(tensor: name, message: "has dtype \(dtype); weight passes work on float tensors (float32, float16, bfloat16, float64)")
        }
    }

    public func floats(of record: TensorRecord) throws -> FloatValues {
        if record.quant != nil {
            throw PassError(tensor: record.name, message: "is already quantized; put this pass before `quantize` in the recipe")
        }
        if record.palette != nil {
            throw PassError(tensor: record.name, message: "is already palettized; put this pass before `palettize` in the recipe")
        }
        return try floats(digest: record.digest, dtype: record.dtype, name: record.name)
    }

    /// The values a palettized tensor stands for, ŵ = table[group][index], in the tensor's own layout.
    public func paletteValues(of record: TensorRecord) throws -> FloatValues {
        guard let p = record.palette else { return try floats(of: record) }
        let count = p.rows * p.cols
        let indices = KMeans1D.unpack([UInt8](try store.mapped(record.digest)), bits: p.bits, count: count)
        let table: [Float] = try store.mapped(p.table).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        guard indices.count == count, table.count == p.tables * p.entries else {
            throw PassError(tensor: record.name, message: "has a damaged look-up table or index blob; clear the cache entry (pare cache verify)")
        }
        var matrix = [Float](repeating: 0, count: count)
        for i in 0..<count { matrix[i] = table[(i / p.cols / p.groupChannels) * p.entries + Int(indices[i])] }
        guard let axis = p.axis, axis != 0 else { return FloatValues(storage: .owned(matrix)) }
        let (outer, mid, inner) = Layout.split(record.shape.dims, axis: axis)
        return FloatValues(storage: .owned(matrix.withUnsafeBufferPointer { Layout.moveFrontAxisBack($0, outer: outer, mid: mid, inner: inner) }))
    }

    public func origin(of record: TensorRecord) throws -> FloatValues {
        try floats(digest: record.origin, dtype: record.originDType, name: record.name)
    }
}

/// Float32 values of a tensor, memory-mapped or owned.
public struct FloatValues: @unchecked Sendable {
    enum Storage { case mapped(Data), owned([Float]) }
    let storage: Storage

    public func withBuffer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        switch storage {
        case .mapped(let d):
            return try d.withUnsafeBytes { try body($0.bindMemory(to: Float.self)) }
        case .owned(let a):
            return try a.withUnsafeBufferPointer { try body($0) }
        }
    }
}

/// A pass failed on one tensor.
public struct PassError: Error, Sendable, CustomStringConvertible {
    public var tensor: String
    public var message: String
    /// Whether the error is about the whole model (`tensor` then names the model file).
    public var isModelLevel = false
    public init(tensor: String, message: String) {
        self.tensor = tensor
        self.message = message
    }
    /// An error about the whole model, e.g. a budget no choice meets.
    public init(model: String, message: String) {
        self.tensor = model
        self.message = message
        self.isModelLevel = true
    }
    public var description: String { isModelLevel ? "\(tensor): \(message)" : "tensor '\(tensor)' \(message)" }
}

extension PassContext {
    /// The output-channel axis of each weight: from the graph for formats that have one (ONNX: a MatMul weight
    /// [K, N] has its channels on axis 1), else axis 0 for every tensor (safetensors: PyTorch's [out, in] layout).
    public func channelAxes(_ model: ModelArtifact) throws -> [String: Int] {
        guard let graph = model.graph else { return [:] }
        let skeleton = try Onnx_ModelProto(serializedBytes: [UInt8](store.mapped(graph)))
        return ONNXUsage.analyze(skeleton.graph).compactMapValues(\.channelAxis)
    }
}
