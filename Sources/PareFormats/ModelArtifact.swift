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

    public init(format: String, metadata: [String: String], tensors: [TensorRecord]) {
        self.format = format
        self.metadata = metadata
        self.tensors = tensors
    }

    public func canonicalData() throws -> Data { try CanonicalJSON.encode(self) }

    /// Every blob the artifact refers to (tensor data, scales, zero points).
    public var blobs: [Digest] { tensors.flatMap(\.blobs) }

    public var storedBytes: Int { tensors.reduce(0) { $0 + $1.storedBytes } }
}
