/// How an `Interpreter` runs.
public struct InterpreterOptions: Sendable {
    /// OpenBLAS threads (process-wide; set when the interpreter is made). Default 1: OpenBLAS's idle threads
    /// busy-wait, so more threads only pay off for large products and when nothing else runs.
    public var blasThreads: Int = 1

    public init(blasThreads: Int = 1) {
        self.blasThreads = blasThreads
    }
}
