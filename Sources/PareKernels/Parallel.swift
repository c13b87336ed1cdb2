import Dispatch

/// Runs independent pieces of work on up to `threads` threads.
///
/// Every kernel writes each output element from exactly one piece, and reductions combine per-piece results in
/// a fixed order, so results never depend on the thread count.
enum Parallel {
    /// Splits `0..<count` into at most `threads` contiguous, nearly equal ranges (never more ranges than
    /// `count / minimumChunk`) and calls `body(pieceIndex, range)` once per range, concurrently when there is
    /// more than one range. Returns the number of pieces (at most `max(threads, 1)`; 0 when `count` is 0).
    @discardableResult
    static func forEachRange(count: Int, threads: Int, minimumChunk: Int = 1,
                             _ body: (Int, Range<Int>) -> Void) -> Int {
        guard count > 0 else { return 0 }
        let pieces = Swift.max(1, Swift.min(threads, count / Swift.max(1, minimumChunk)))
        if pieces == 1 {
            body(0, 0..<count)
            return 1
        }
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: pieces) { i in
                body(i, range(i, of: pieces, count: count))
            }
        }
        return pieces
    }

    /// The `i`-th of `pieces` contiguous ranges that partition `0..<count`.
    static func range(_ i: Int, of pieces: Int, count: Int) -> Range<Int> {
        let (q, r) = count.quotientAndRemainder(dividingBy: pieces)
        let lo = i * q + Swift.min(i, r)
        return lo..<(lo + q + (i < r ? 1 : 0))
    }
}
