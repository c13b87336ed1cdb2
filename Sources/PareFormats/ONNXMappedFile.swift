import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A regular file mapped read-only (private) into memory for as long as this object lives. An empty file has
/// an empty buffer and no mapping. Pages are read from disk only when touched.
final class ONNXMappedFile: @unchecked Sendable {
    let path: String
    let bytes: UnsafeRawBufferPointer

    /// Maps `path`. `what` names the file's role in error messages (e.g. "external data file 'w.bin'"); when
    /// nil, the file is the one reported and open errors are thrown as they are.
    /// - Throws: `FormatError` naming `reportAs` (the file the user gave) when it cannot be opened or mapped.
    init(path: String, reportAs: String, tensor: String? = nil, what: String?) throws {
        self.path = path
        let reader: FileReader
        do {
            reader = try FileReader(path: path)
        } catch let e as FormatError {
            guard let what else { throw e }
            throw FormatError(file: reportAs, tensor: tensor, message: "\(what): \(e.message)")
        }
        let size = reader.size
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, reader.fd, 0), p != MAP_FAILED else {
            throw FormatError(file: reportAs, tensor: tensor, message: "cannot map \(what ?? "the file") into memory: \(FileReader.errnoText(errno))")
        }
        bytes = UnsafeRawBufferPointer(start: p, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }

    var size: Int { bytes.count }

    /// Calls `body` (a walk over the file's structure) with read-ahead off, then unmaps the pages the walk
    /// made resident (see `dropResident`).
    func withTransientAccess<R>(_ body: () throws -> R) rethrows -> R {
        guard let base = bytes.baseAddress else { return try body() }
        let p = UnsafeMutableRawPointer(mutating: base)
        _ = madvise(p, bytes.count, MADV_RANDOM)
        defer {
            dropResident(0..<bytes.count)
            _ = madvise(p, bytes.count, MADV_NORMAL)
        }
        return try body()
    }

    /// Unmaps the pages of `range` from this process (MADV_DONTNEED): they stay in the page cache and fault
    /// back in on the next access, so this only lowers the resident set. On file systems with large folios
    /// (ext4, XFS on recent kernels) touching one tag maps the whole folio around it — up to megabytes of
    /// payload — so the index walk drops each tensor's pages once it has read its fields.
    func dropResident(_ range: Range<Int>) {
        guard let base = bytes.baseAddress, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = range.lowerBound / page * page
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), range.upperBound - start, MADV_DONTNEED)
    }
}
