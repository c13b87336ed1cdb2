import Foundation
import PareBasics
#if canImport(Glibc)
import Glibc
#endif

/// A regular file opened read-only, with exact positioned reads and chunked copies. Failures become
/// `FormatError`s naming the file.
final class FileReader {
    let path: String
    let fd: Int32
    /// Size in bytes when opened.
    let size: Int

    /// Bytes moved per read when copying a file into an output stream.
    static let chunkSize = 4 << 20

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw FormatError(file: path, message: "cannot open: \(FileReader.errnoText(errno))")
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            close(fd)
            throw FormatError(file: path, message: "cannot read its size: \(FileReader.errnoText(e))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            let what = (st.st_mode & S_IFMT) == S_IFDIR ? "a folder" : "not a regular file"
            throw FormatError(file: path, message: "is \(what); expected a model file")
        }
        self.fd = fd
        self.size = Int(st.st_size)
    }

    deinit { close(fd) }

    /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
    func read(offset: Int, upTo count: Int) throws -> [UInt8] {
        guard count > 0 else { return [] }
        var out = [UInt8](repeating: 0, count: count)
        let got = try out.withUnsafeMutableBytes { try readFully(into: $0, offset: offset) }
        out.removeLast(count - got)
        return out
    }

    /// Reads exactly `count` bytes at `offset`, or throws naming the shortfall.
    func read(offset: Int, count: Int) throws -> [UInt8] {
        let b = try read(offset: offset, upTo: count)
        guard b.count == count else {
            throw FormatError(file: path, message: "expected \(count) bytes at offset \(offset) but the file ends after \(b.count); it is truncated or changed while being read")
        }
        return b
    }

    /// Copies `count` bytes starting at `offset` to `out` (a descriptor writing `destination`), in chunks, so
    /// memory use stays bounded whatever the size.
    func copy(offset: Int, count: Int, to out: Int32, destination: String) throws {
        try forEachChunk(offset: offset, count: count, destination: destination) { chunk in
            try AtomicFile.writeAll(fd: out, chunk, path: destination)
        }
    }

    /// Reads `count` bytes starting at `offset` in chunks of at most `chunkSize` and passes each to `body` (valid
    /// only during the call), so memory use stays bounded whatever the size. `destination` names what the bytes
    /// go into, for the error when the file turns out shorter than expected.
    func forEachChunk(offset: Int, count: Int, destination: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard count > 0 else { return }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: min(count, FileReader.chunkSize), alignment: 16)
        defer { buffer.deallocate() }
        var done = 0
        while done < count {
            let want = min(buffer.count, count - done)
            let got = try readFully(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]), offset: offset + done)
            guard got == want else {
                throw FormatError(file: path, message: "ended after \(offset + done + got) bytes while \(offset + count) were expected; it was truncated or changed while being copied into \(destination)")
            }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<want]))
            done += want
        }
    }

    /// Fills `buffer` from `offset`, retrying short reads; returns the bytes read (less than asked only at EOF).
    private func readFully(into buffer: UnsafeMutableRawBufferPointer, offset: Int) throws -> Int {
        var got = 0
        while got < buffer.count {
            let n = pread(fd, buffer.baseAddress! + got, buffer.count - got, off_t(offset + got))
            if n < 0 {
                if errno == EINTR { continue }
                throw FormatError(file: path, message: "read failed at offset \(offset + got): \(FileReader.errnoText(errno))")
            }
            if n == 0 { break }
            got += n
        }
        return got
    }

    static func errnoText(_ e: Int32) -> String {
        switch e {
        case ENOENT: return "no such file; check the path"
        case EACCES, EPERM: return "permission denied; check the file's permissions"
        case EISDIR: return "is a folder; expected a file"
        default: return String(cString: strerror(e))
        }
    }
}
