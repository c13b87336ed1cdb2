import Foundation

/// Maps `count` indices on up to `workers` threads; results come back in index order, so the outcome does not
/// depend on the number of workers. Indices are claimed in order and none is claimed after an error, so the first
/// error (by index) is the same for every worker count; it is rethrown after all work stops.
public enum ParallelMap {
    public static func run<T>(count: Int, workers: Int, _ body: (Int) throws -> T) throws -> [T] {
        if count == 0 { return [] }
        let n = max(1, min(workers, count))
        if n == 1 { return try (0..<count).map(body) }
        let box = ParallelMapState<T>(count: count)
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let work = body
            DispatchQueue.concurrentPerform(iterations: n) { _ in
                while true {
                    let i: Int = box.lock.withLock {
                        if !box.errors.isEmpty || box.next >= count { return -1 }
                        defer { box.next += 1 }
                        return box.next
                    }
                    if i < 0 { return }
                    do {
                        let r = try work(i)
                        box.lock.withLock { box.results[i] = r }
                    } catch {
                        box.lock.withLock { box.errors.append((i, error)) }
                    }
                }
            }
        }
        if let e = box.errors.min(by: { $0.0 < $1.0 }) { throw e.1 }
        return box.results.map { $0! }
    }
}

/// Shared state of one `ParallelMap.run`.
private final class ParallelMapState<T>: @unchecked Sendable {
    var results: [T?]
    var errors: [(Int, Error)] = []
    var next = 0
    let lock = NSLock()
    init(count: Int) { results = Array(repeating: nil, count: count) }
}
