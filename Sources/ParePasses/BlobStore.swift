import Foundation
import PareBasics

/// Where passes read and write tensor bytes: the content store, seen through what passes need.
public protocol BlobStore: Sendable {
    /// Memory-maps a blob.
    func mapped(_ digest: Digest) throws -> Data
    /// Stores bytes and returns their digest.
    func put(_ buffer: UnsafeRawBufferPointer) throws -> Digest
}

extension BlobStore {
    public func put(_ bytes: [UInt8]) throws -> Digest { try bytes.withUnsafeBytes { try put($0) } }
    public func put(_ floats: [Float]) throws -> Digest { try floats.withUnsafeBytes { try put($0) } }
    public func put(_ halves: [UInt16]) throws -> Digest { try halves.withUnsafeBytes { try put($0) } }
}
