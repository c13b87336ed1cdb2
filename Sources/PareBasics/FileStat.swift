import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The identity of a file's current content as the file system sees it: if any field differs, the content may
/// have changed. Used to skip re-hashing unchanged files.
public struct FileStat: Hashable, Sendable, Codable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int
    public var mtimeNanoseconds: Int64
    public var ctimeNanoseconds: Int64

    /// nil if the file does not exist or is not a regular file.
    public static func of(_ path: String) -> FileStat? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return FileStat(
            device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int(st.st_size),
            mtimeNanoseconds: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
            ctimeNanoseconds: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec))
    }

    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    /// Sets the file's modification time to now (used as "last used" for least-recently-used eviction).
    public static func touch(_ path: String) {
        _ = utimensat(AT_FDCWD, path, nil, 0)
    }
}

/// Streaming SHA-256 of a file in 4 MiB chunks.
public enum FileDigest {
    public static func of(path: String) throws -> Digest {
        guard let fh = FileHandle(forReadingAtPath: path) else {
            throw AtomicFile.WriteError(path: path, reason: "cannot open for reading: \(AtomicFile.errnoString())")
        }
        defer { try? fh.close() }
        var h = DigestHasher()
        while true {
            let chunk = try fh.read(upToCount: 4 << 20) ?? Data()
            if chunk.isEmpty { break }
            h.update(chunk)
        }
        return h.finalize()
    }
}
