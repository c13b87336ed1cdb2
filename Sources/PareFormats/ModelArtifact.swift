import Foundation
import PareBasics
import PareTensor

/// A model in the content store: a small manifest (format, metadata, tensor table) whose tensors are separate
/// blobs. Its digest is the SHA-256 of its canonical JSON encoding, so equal models have equal digests.
public struct ModelArtifact: Sendable, Hashable, Codable {
    /// The source container format ("safetensors").
    public var format: String
    /// Metadata carried over from the source file (safetensors `__metadata__`).
    public var metadata: [String: String]
    /// Tensors in source order.
    public var tensors: [TensorRecord]
    /// ONNX: the model's skeleton (`Onnx_ModelProto` without its weight payloads, see `ONNXFile`) as a blob.
    public var graph: Digest?
    /// ONNX: tensor name → the payload key that marks the tensor in the skeleton (stripped tensors only).
    public var payloadKeys: [String: String]?
    /// ONNX: activation quantization (nil: activations stay float).
    public var activations: ActivationEncoding?

    public init(format: String, metadata: [String: String], tensors: [TensorRecord], graph: Digest? = nil, payloadKeys: [String: String]? = nil) {
        self.format = format
        self.metadata = metadata
        self.tensors = tensors
        self.graph = graph
        self.payloadKeys = payloadKeys
    }

    public func canonicalData() throws -> Data { try CanonicalJSON.encode(self) }

    /// Every blob the artifact refers to (tensor data, scales, zero points).
    public var blobs: [Digest] { tensors.flatMap(\.blobs) + (graph.map { [$0] } ?? []) }

    public var storedBytes: Int { tensors.reduce(0) { $0 + $1.storedBytes } }
}
