import Foundation
import Testing
import PareBasics
import PareBuild

@Suite struct CacheTests {
    @Test func unchangedFilesAreNotHashedAgain() throws {
        let dir = NSTemporaryDirectory() + "pare-memo-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let file = dir + "/m.bin"
        try Data(repeating: 7, count: 1 << 16).write(to: URL(fileURLWithPath: file))
        let memo = try FileDigestMemo(root: dir + "/cache")
        var hashed = false
        let d1 = try memo.digest(ofFile: file, hashed: &hashed)
        #expect(hashed)
        let d2 = try memo.digest(ofFile: file, hashed: &hashed)
        #expect(!hashed)
        #expect(d1 == d2)
        // Same size, new content and mtime: hashed again, new digest.
        try Data(repeating: 8, count: 1 << 16).write(to: URL(fileURLWithPath: file))
        let d3 = try memo.digest(ofFile: file, hashed: &hashed)
        #expect(hashed)
        #expect(d3 == Digest.of([UInt8](repeating: 8, count: 1 << 16)))
    }

    @Test func gcRemovesLeastRecentlyUsedFirst() throws {
        let root = NSTemporaryDirectory() + "pare-gc-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try ContentStore(root: root)
        var digests: [Digest] = []
        for i in 0..<4 {
            digests.append(try store.put([UInt8](repeating: UInt8(i), count: 1000)))
            // Distinct, increasing "last used" times.
            let p = store.path(for: digests[i])
            var times = [timespec(tv_sec: 1_000_000 + i, tv_nsec: 0), timespec(tv_sec: 1_000_000 + i, tv_nsec: 0)]
            _ = utimensat(AT_FDCWD, p, &times, 0)
        }
        store.touch([digests[0]]) // used just now: the most recent
        let r = CacheMaintenance.gc(root: root, maxBytes: 2000)
        #expect(r.removedFiles == 2)
        #expect(store.contains(digests[0]))
        #expect(!store.contains(digests[1]))
        #expect(!store.contains(digests[2]))
        #expect(store.contains(digests[3]))
    }

    static let recipe = """
    recipe: conc
    model: { path: models/model.safetensors }
    targets: [arm64-cortex-a78, x86-64-avx2]
    passes:
      - prune: { sparsity: 0.5 }
      - quantize: { weights: { dtype: int4, granularity: per-group, group: 32 } }

    """

    /// Builds sharing one cache at the same time produce the same bundles as a build alone.
    @Test func concurrentBuildsShareOneCacheSafely() throws {
        let ws = try Workspace(recipe: Self.recipe)
        let alone = try ws.build(cache: ws.dir + "/alone", dist: ws.dir + "/dist-alone")
        let shared = ws.dir + "/shared"
        let results = try [0, 1, 2].concurrentMap { i in
            try ws.build(jobs: 2, cache: shared, dist: ws.dir + "/dist-\(i)")
        }
        for r in results { #expect(r.bundles.map(\.sha256) == alone.bundles.map(\.sha256)) }
        let v = try CacheMaintenance.verify(root: shared, workers: 2)
        #expect(v.corrupt.isEmpty)
    }
}

extension Array where Element: Sendable {
    /// Runs `body` for every element on its own thread at once; rethrows the first error.
    func concurrentMap<T>(_ body: @escaping @Sendable (Element) throws -> T) throws -> [T] {
        let box = ResultBox<T>(count)
        let lock = NSLock()
        let group = DispatchGroup()
        for (i, e) in enumerated() {
            group.enter()
            Thread.detachNewThread {
                let r = Result { try body(e) }
                lock.withLock { box.results[i] = r }
                group.leave()
            }
        }
        group.wait()
        return try box.results.map { try $0!.get() }
    }
}

final class ResultBox<T>: @unchecked Sendable {
    var results: [Result<T, Error>?]
    init(_ n: Int) { results = Array(repeating: nil, count: n) }
}
