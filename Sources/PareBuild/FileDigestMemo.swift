import Foundation
import PareBasics

/// Remembers the digest of source files by their identity (device, inode, size, mtime, ctime), so an unchanged
/// file is not hashed again. Any difference in those fields means the file is hashed again.
public final class FileDigestMemo: @unchecked Sendable {
    struct Entry: Codable {
        var path: String
        var stat: FileStat
        var digest: Digest
    }

    let dir: String

    public init(root: String) throws {
        dir = root + "/memo/files"
        try AtomicFile.createDirectory(dir)
    }

    private func entryPath(_ absolute: String) -> String { "\(dir)/\(Digest.of(absolute).hex.prefix(32)).json" }

    /// The file's SHA-256, from the memo when the file is unchanged, else by hashing it (and remembering).
    /// `hashed` is set to true when the file had to be read.
    public func digest(ofFile path: String, hashed: inout Bool) throws -> Digest {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        guard let st = FileStat.of(absolute) else {
            throw AtomicFile.WriteError(path: path, reason: "no such file (or not a regular file)")
        }
        let ep = entryPath(absolute)
        if let data = FileManager.default.contents(atPath: ep),
           let e = try? CanonicalJSON.decode(Entry.self, from: data), e.path == absolute, e.stat == st {
            hashed = false
            return e.digest
        }
        let d = try FileDigest.of(path: absolute)
        hashed = true
        // Remember only if the file did not change while it was being read.
        if FileStat.of(absolute) == st {
            try? AtomicFile.write(CanonicalJSON.encode(Entry(path: absolute, stat: st, digest: d)), to: ep)
        }
        return d
    }
}
