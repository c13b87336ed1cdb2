import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes files so that readers see either the old content or the complete new content, never a part:
/// the data goes to a temporary file in the same folder, is flushed, and is renamed over the destination.
public enum AtomicFile {
    public struct WriteError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }
        public var description: String { "cannot write \(path): \(reason)" }
    }

    /// A unique temporary path beside `path` (same folder, so rename is atomic).
    public static func temporaryPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        return dir + "/.tmp-" + url.lastPathComponent + "-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
    }

    /// Writes `data` to `path` atomically, creating parent folders.
    public static func write(_ data: Data, to path: String, sync: Bool = false) throws {
        try write(to: path, sync: sync) { fd in
            try data.withUnsafeBytes { try writeAll(fd: fd, $0, path: path) }
        }
    }

    /// Opens a temporary file, lets `body` write through the descriptor, then renames it over `path`.
    /// On any error the temporary file is removed and nothing appears at `path`.
    public static func write(to path: String, sync: Bool = false, _ body: (Int32) throws -> Void) throws {
        let tmp = temporaryPath(for: path)
        var fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 && errno == ENOENT {
            // Create the folder only when it is missing (the common case is that it exists).
            try createDirectory(URL(fileURLWithPath: path).deletingLastPathComponent().path)
            fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        }
        guard fd >= 0 else { throw WriteError(path: path, reason: errnoString()) }
        do {
            try body(fd)
            if sync, fsync(fd) != 0 { throw WriteError(path: path, reason: errnoString()) }
            guard close(fd) == 0 else { throw WriteError(path: path, reason: errnoString()) }
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
        guard rename(tmp, path) == 0 else {
            let reason = errnoString()
            unlink(tmp)
            throw WriteError(path: path, reason: reason)
        }
    }

    /// Writes every byte of `buffer`, retrying short writes; a full disk becomes a clear error.
    public static func writeAll(fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws {
        var off = 0
        while off < buffer.count {
            let n = Glibc.write(fd, buffer.baseAddress! + off, buffer.count - off)
            if n < 0 {
                if errno == EINTR { continue }
                throw WriteError(path: path, reason: errnoString())
            }
            off += n
        }
    }

    public static func createDirectory(_ dir: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw WriteError(path: dir, reason: "cannot create folder (\(errnoString()))")
        }
    }

    public static func errnoString() -> String {
        let e = errno
        switch e {
        case ENOSPC: return "no space left on device; free some space or point --cache / the output elsewhere"
        case EFBIG: return "file too large for this file system or the file-size limit (ulimit -f); free space or raise the limit"
        case EDQUOT: return "disk quota exceeded; free some space or point --cache / the output elsewhere"
        case EACCES, EPERM: return "permission denied; check the folder's permissions"
        case EROFS: return "read-only file system"
        default: return String(cString: strerror(e))
        }
    }
}
