extension QuantScheme {
    /// Elements per block. Blocks are always contiguous runs of the row-major flat array: the whole matrix
    /// (per-tensor), one row (per-channel) or G elements (per-group).
    func blockLength(rows: Int, cols: Int) -> Int {
        switch granularity {
        case .perTensor: return rows * cols
        case .perChannel: return cols
        case .perGroup(let g): return g
        }
    }

    /// Number of blocks (scales): 1, rows, or rows * (cols / G).
    func blockCount(rows: Int, cols: Int) -> Int {
        switch granularity {
        case .perTensor: return 1
        case .perChannel: return rows
        case .perGroup(let g): return rows * (cols / g)
        }
    }

    /// Checks the caller's guarantees (a programming error if violated).
    func checkShape(count: Int, rows: Int, cols: Int, function: StaticString) {
        precondition(rows >= 0 && cols >= 0 && rows * cols == count,
                     "\(function): buffer has \(count) elements but rows × cols = \(rows) × \(cols)")
        if case .perGroup(let g) = granularity {
            precondition(g > 0 && cols % g == 0,
                         "\(function): group size \(g) must be positive and divide the column count \(cols)")
        }
    }
}
