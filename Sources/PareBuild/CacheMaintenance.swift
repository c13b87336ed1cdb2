import Foundation
import PareBasics

/// `pare cache stats|gc|verify`.
public enum CacheMaintenance {
    public struct Stats: Sendable, Codable {
        public var blobs: Int
        public var blobBytes: Int
        public var stepRecords: Int
        public var tensorRecords: Int
        public var recordBytes: Int
        public var totalBytes: Int { blobBytes + recordBytes }
    }

    struct Item { var path: String; var bytes: Int; var mtime: Int64 }

    static func files(under dir: String) -> [Item] {
        guard let e = FileManager.default.enumerator(atPath: dir) else { return [] }
        var out: [Item] = []
        while let rel = e.nextObject() as? String {
            let p = dir + "/" + rel
            if let s = FileStat.of(p) { out.append(Item(path: p, bytes: s.size, mtime: s.mtimeNanoseconds)) }
        }
        return out.sorted { $0.path < $1.path }
    }

    public static func stats(root: String) -> Stats {
        let blobs = files(under: root + "/objects")
        let steps = files(under: root + "/actions")
        let tensors = files(under: root + "/tensors")
        return Stats(blobs: blobs.count, blobBytes: blobs.reduce(0) { $0 + $1.bytes },
                     stepRecords: steps.count, tensorRecords: tensors.count,
                     recordBytes: (steps + tensors).reduce(0) { $0 + $1.bytes })
    }

    public struct GCResult: Sendable, Codable { public var removedFiles: Int; public var removedBytes: Int; public var remainingBytes: Int }

    /// Removes the least recently used entries (blobs and records; "used" = last written or hit) until the cache
    /// holds at most `maxBytes`. A record whose blobs were removed becomes a miss, never a wrong hit.
    public static func gc(root: String, maxBytes: Int) -> GCResult {
        var items = files(under: root + "/objects") + files(under: root + "/actions") + files(under: root + "/tensors")
        var total = items.reduce(0) { $0 + $1.bytes }
        items.sort { ($0.mtime, $0.path) < ($1.mtime, $1.path) }
        var removed = 0, removedBytes = 0
        for it in items where total > maxBytes {
            if unlink(it.path) == 0 {
                total -= it.bytes; removed += 1; removedBytes += it.bytes
            }
        }
        try? FileManager.default.removeItem(atPath: root + "/tmp")
        return GCResult(removedFiles: removed, removedBytes: removedBytes, remainingBytes: total)
    }

    public struct VerifyResult: Sendable, Codable { public var checked: Int; public var corrupt: [String]; public var removed: Int }

    /// Re-hashes every blob and re-reads every record; removes the ones that do not match their name.
    public static func verify(root: String, workers: Int) throws -> VerifyResult {
        let blobs = files(under: root + "/objects/sha256")
        let bad = try ParallelMap.run(count: blobs.count, workers: workers) { i -> String? in
            let it = blobs[i]
            let parts = it.path.split(separator: "/").suffix(2).joined()
            guard let expected = Digest(hex: parts), let actual = try? FileDigest.of(path: it.path), actual == expected else { return it.path }
            return nil
        }.compactMap { $0 }
        var corrupt = bad
        for it in files(under: root + "/actions") + files(under: root + "/tensors") {
            guard let d = FileManager.default.contents(atPath: it.path),
                  (try? JSONSerialization.jsonObject(with: d)) != nil else { corrupt.append(it.path); continue }
        }
        var removed = 0
        for p in corrupt where unlink(p) == 0 { removed += 1 }
        return VerifyResult(checked: blobs.count, corrupt: corrupt, removed: removed)
    }
}
