import PareBasics
import PareRuntime

extension Interpreter {
    /// Thrown from an observer to end a run once it has every value it wants.
    private struct Captured: Error {}

    /// Runs the model on every sample, up to `threads` samples at once (a run only reads the interpreter's plan),
    /// and calls `body(sample index, values)` serially in sample order with the values named in `names` (in the
    /// order the run computed them). Each run stops as soon as it has computed all of `names`, so a layer early in
    /// the graph costs a fraction of a full run. At most `threads` samples' captured values are held at a time;
    /// the calls and their order do not depend on `threads`.
    func forEachCapture(_ samples: [[String: Tensor]], names: Set<String>, threads: Int,
                        _ body: (Int, [(String, Tensor)]) throws -> Void) throws {
        let window = max(1, min(threads, samples.count))
        var start = 0
        while start < samples.count {
            let count = min(window, samples.count - start)
            let captured = try ParallelMap.run(count: count, workers: window) { w -> [(String, Tensor)] in
                var seen: [(String, Tensor)] = []
                var missing = names
                do {
                    _ = try run(samples[start + w]) { name, value in
                        guard missing.remove(name) != nil else { return }
                        seen.append((name, value))
                        if missing.isEmpty { throw Captured() }
                    }
                } catch is Captured {}
                return seen
            }
            for w in 0..<count { try body(start + w, captured[w]) }
            start += count
        }
    }
}
