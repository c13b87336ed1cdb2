import Foundation
import PareTensor
#if canImport(Glibc)
import Glibc
#endif

/// A safetensors file mapped into memory (read-only, private), with its validated header. Tensor bytes are
/// zero-copy views into the mapping, valid while this object is alive.
///
/// Like any memory-mapped reader, replacing a file in place (rather than by rename) while it is mapped can
/// fault on access; pare writes files with rename, so a mapping always sees one complete version.
public final class SafetensorsFile: @unchecked Sendable {
    public let path: String
    public let header: SafetensorsHeader

    private let base: UnsafeRawPointer?
    private let mappedSize: Int
    private let index: [String: Int]

    /// Maps the file and validates its header.
    /// - Throws: `FormatError` naming the file (and tensor) when it cannot be read or is not valid safetensors.
    public init(path: String) throws {
        self.path = path
        let file = try FileReader(path: path)
        let size = file.size
        if size < 8 {
            // The shared validation reports the short file (mapping an empty file would fail obscurely).
            _ = try SafetensorsHeader.parse(headerBytes: try file.read(offset: 0, upTo: 8), fileSize: size, path: path)
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, file.fd, 0), p != MAP_FAILED else {
            throw FormatError(file: path, message: "cannot map the file into memory: \(FileReader.errnoText(errno))")
        }
        do {
            header = try SafetensorsHeader.parse(headerBytes: UnsafeRawBufferPointer(start: p, count: size), fileSize: size, path: path)
        } catch {
            munmap(p, size)
            throw error
        }
        base = UnsafeRawPointer(p)
        mappedSize = size
        var index: [String: Int] = [:]
        index.reserveCapacity(header.tensors.count)
        for (i, t) in header.tensors.enumerated() { index[t.name] = i }
        self.index = index
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), mappedSize) }
    }

    /// Every tensor, sorted by offset, then name.
    public var tensors: [SafetensorsTensor] { header.tensors }

    /// The file's `__metadata__` strings.
    public var metadata: [String: String] { header.metadata }

    public subscript(name: String) -> SafetensorsTensor? {
        index[name].map { header.tensors[$0] }
    }

    /// The tensor's bytes inside the mapping (little-endian, as stored). Valid while `self` is alive (see
    /// `withBytes(of:_:)`). `tensor` must come from this file's header.
    public func bytes(of tensor: SafetensorsTensor) -> UnsafeRawBufferPointer {
        precondition(tensor.offset >= 0 && tensor.byteCount >= 0 && tensor.offset <= mappedSize - tensor.byteCount,
                     "tensor '\(tensor.name)' does not lie inside \(path)")
        return UnsafeRawBufferPointer(start: base.map { $0 + tensor.offset }, count: tensor.byteCount)
    }

    /// Calls `body` with the tensor's bytes, keeping the mapping alive for the call (use this, or
    /// `withExtendedLifetime(file)`, when nothing else holds the file: Swift may release an object right after
    /// its last use, before a pointer taken from it is read).
    public func withBytes<R>(of tensor: SafetensorsTensor, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(bytes(of: tensor)) }
    }

    /// The bytes of the tensor called `name`, or nil when the file has no such tensor.
    public func bytes(named name: String) -> UnsafeRawBufferPointer? {
        self[name].map { bytes(of: $0) }
    }

    /// madvise(MADV_SEQUENTIAL | WILLNEED) hint for a whole pass over the file: the kernel reads ahead
    /// aggressively (cold reads ~3× faster) and may drop pages behind the reader.
    public func adviseSequential() {
        guard let base else { return }
        let p = UnsafeMutableRawPointer(mutating: base)
        _ = madvise(p, mappedSize, MADV_SEQUENTIAL)
        _ = madvise(p, mappedSize, MADV_WILLNEED)
    }
}
