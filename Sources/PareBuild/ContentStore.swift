import Foundation
import PareBasics
import PareFormats
#if canImport(Glibc)
import Glibc
#endif

/// The content-addressed store: blob digest → bytes, under `<root>/objects/sha256/ab/cdef…`.
///
/// Blobs are written to a temporary file and renamed into place, so a blob path either does not exist or holds
/// the complete content; concurrent writers of the same blob are harmless (the same bytes win either way).
public final class ContentStore: @unchecked Sendable {
    public let root: String
    public let objectsDir: String
    public let tmpDir: String

    public init(root: String) throws {
        self.root = root
        self.objectsDir = root + "/objects/sha256"
        self.tmpDir = root + "/tmp"
        try AtomicFile.createDirectory(objectsDir)
        try AtomicFile.createDirectory(tmpDir)
    }

    public func path(for digest: Digest) -> String {
        let h = digest.hex
        return "\(objectsDir)/\(h.prefix(2))/\(h.dropFirst(2))"
    }

    public func contains(_ digest: Digest) -> Bool { FileStat.exists(path(for: digest)) }

    /// Stores bytes; returns their digest. Does nothing but hash when the blob already exists.
    @discardableResult
    public func put(_ buffer: UnsafeRawBufferPointer) throws -> Digest {
        let d = Digest.of(buffer)
        try put(buffer, digest: d)
        return d
    }

    @discardableResult
    public func put(_ bytes: [UInt8]) throws -> Digest { try bytes.withUnsafeBytes { try put($0) } }

    @discardableResult
    public func put(_ data: Data) throws -> Digest { try data.withUnsafeBytes { try put($0) } }

    /// Stores bytes whose digest the caller already computed.
    public func put(_ buffer: UnsafeRawBufferPointer, digest: Digest) throws {
        let p = path(for: digest)
        if FileStat.exists(p) { return }
        try AtomicFile.write(to: p) { fd in try AtomicFile.writeAll(fd: fd, buffer, path: p) }
    }

    /// Reads a blob into memory (small blobs: manifests, records).
    public func data(_ digest: Digest) throws -> Data {
        let p = path(for: digest)
        guard let d = FileManager.default.contents(atPath: p) else { throw StoreError.missing(digest) }
        return d
    }

    /// Memory-maps a blob (large blobs: tensors).
    public func mapped(_ digest: Digest) throws -> Data {
        let p = path(for: digest)
        do {
            return try Data(contentsOf: URL(fileURLWithPath: p), options: .alwaysMapped)
        } catch {
            throw StoreError.missing(digest)
        }
    }

    /// Marks blobs as recently used (for `cache gc`).
    public func touch(_ digests: some Sequence<Digest>) {
        for d in digests { FileStat.touch(path(for: d)) }
    }

    public enum StoreError: Error, CustomStringConvertible {
        case missing(Digest)
        public var description: String {
            switch self {
            case .missing(let d): return "cache blob \(d.short)… is missing; it was removed by `pare cache gc` or `pare cache verify`; run the build again"
            }
        }
    }
}

extension ContentStore {
    /// The scales and zero points of a quantized tensor (zero points 0 when none are stored).
    func scalesAndZeroPoints(of q: QuantEncoding) throws -> (scales: [Float], zeroPoints: [Float]) {
        let scales: [Float] = try data(q.scale).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        guard let z = q.zeroPoint else { return (scales, [Float](repeating: 0, count: scales.count)) }
        let stored = try data(z)
        switch q.zeroPointDType {
        case .float32: return (scales, stored.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) })
        case .int8: return (scales, stored.map { Float(Int8(bitPattern: $0)) })
        default: return (scales, stored.map { Float($0) })
        }
    }
}
