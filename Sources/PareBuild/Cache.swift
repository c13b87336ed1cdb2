import Foundation
import PareBasics
import ParePasses

/// The cache folder: content store, step and tensor action caches, file-digest memo and the last key of each
/// step (for `pare explain`).
///
/// Layout under the root (default `cache/`, or `--cache DIR` / `PARE_CACHE`):
/// `objects/sha256/ab/…` blobs · `actions/ab/….json` step results · `tensors/ab/….json` per-tensor results ·
/// `memo/files/` file digests by identity · `refs/<recipe>/<step>.json` last key components · `tmp/`.
public final class Cache: @unchecked Sendable {
    public let root: String
    public let store: ContentStore
    public let actions: ActionCache
    public let tensors: ActionCache
    public let memo: FileDigestMemo

    public init(root: String) throws {
        self.root = root
        store = try ContentStore(root: root)
        actions = try ActionCache(root: root, namespace: "actions")
        tensors = try ActionCache(root: root, namespace: "tensors")
        memo = try FileDigestMemo(root: root)
    }

    /// The default cache folder: `$PARE_CACHE`, else `cache` in the current folder.
    public static func defaultRoot(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        environment["PARE_CACHE"].flatMap { $0.isEmpty ? nil : $0 } ?? "cache"
    }

    // MARK: Last key of each step, for `explain` and plan statuses.

    func refPath(recipe: String, step: String) -> String {
        let safe = step.map { $0 == "/" ? "_" : $0 }
        return "\(root)/refs/\(recipe)/\(String(safe)).json"
    }

    public func lastComponents(recipe: String, step: String) -> ActionKeyComponents? {
        guard let d = FileManager.default.contents(atPath: refPath(recipe: recipe, step: step)) else { return nil }
        return try? CanonicalJSON.decode(ActionKeyComponents.self, from: d)
    }

    func recordComponents(_ c: ActionKeyComponents, recipe: String, step: String) {
        if lastComponents(recipe: recipe, step: step) == c { return }
        try? AtomicFile.write(CanonicalJSON.encode(c, pretty: true), to: refPath(recipe: recipe, step: step))
    }
}

extension ContentStore: BlobStore {}
