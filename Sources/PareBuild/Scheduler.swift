import Foundation

/// Runs the nodes of a DAG on a fixed number of worker threads, each node once all its predecessors are done.
/// Ready nodes start in index order. After a failure no new node starts; the failure of the lowest-numbered
/// failing node is thrown once running nodes finish.
enum Scheduler {
    static func run(count: Int, successors: [[Int]], workers: Int, _ body: @escaping @Sendable (Int) throws -> Void) throws {
        final class State: @unchecked Sendable {
            let cond = NSCondition()
            var pending: [Int]
            var ready: [Int] = []
            var running = 0
            var done = 0
            var failures: [(Int, Error)] = []
            init(pending: [Int]) { self.pending = pending }
        }
        var indegree = [Int](repeating: 0, count: count)
        for s in successors { for j in s { indegree[j] += 1 } }
        let state = State(pending: indegree)
        state.ready = (0..<count).filter { indegree[$0] == 0 }
        let n = max(1, min(workers, count))
        let group = DispatchGroup()
        for _ in 0..<n {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                while true {
                    state.cond.lock()
                    // Wait while nothing is ready but running nodes may still make something ready.
                    while state.ready.isEmpty && state.failures.isEmpty && state.running > 0 {
                        state.cond.wait()
                    }
                    if !state.failures.isEmpty || state.ready.isEmpty {
                        state.cond.broadcast()
                        state.cond.unlock()
                        return
                    }
                    state.ready.sort()
                    let i = state.ready.removeFirst()
                    state.running += 1
                    state.cond.unlock()

                    var failure: Error?
                    do { try body(i) } catch { failure = error }

                    state.cond.lock()
                    state.running -= 1
                    state.done += 1
                    if let failure {
                        state.failures.append((i, failure))
                    } else {
                        for j in successors[i] {
                            state.pending[j] -= 1
                            if state.pending[j] == 0 { state.ready.append(j) }
                        }
                    }
                    state.cond.broadcast()
                    state.cond.unlock()
                }
            }
        }
        group.wait()
        if let first = state.failures.min(by: { $0.0 < $1.0 }) { throw first.1 }
    }
}
