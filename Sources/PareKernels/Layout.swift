/// Axis moves for the matrix view of a weight: kernels see rows = output channels, so a weight whose output
/// channels are not its first axis (e.g. an ONNX MatMul weight [K, N], channels on axis 1) is permuted first.
///
/// A tensor is viewed as [outer, mid, inner] around the moved axis (outer = product of the axes before it,
/// inner = product of the axes after it). Pure copies: no arithmetic, so there is no rounding to state.
public enum Layout {
    /// (outer, mid, inner) for `axis` of `dims`.
    public static func split(_ dims: [Int], axis: Int) -> (outer: Int, mid: Int, inner: Int) {
        precondition(axis >= 0 && axis < max(dims.count, 1), "axis \(axis) out of range for rank \(dims.count)")
        if dims.isEmpty { return (1, 1, 1) }
        let outer = dims[..<axis].reduce(1, *)
        let inner = dims[(axis + 1)...].reduce(1, *)
        return (outer, dims[axis], inner)
    }

    /// The shape after moving `axis` to the front.
    public static func movedShape(_ dims: [Int], axis: Int) -> [Int] {
        guard axis > 0 else { return dims }
        var d = dims
        let a = d.remove(at: axis)
        return [a] + d
    }

    /// y[m][o][i] = x[o][m][i]: moves the middle axis of [outer, mid, inner] to the front.
    @_specialize(where T == Float)
    @_specialize(where T == UInt8)
    public static func moveAxisToFront<T>(_ x: UnsafeBufferPointer<T>, outer: Int, mid: Int, inner: Int) -> [T] {
        precondition(x.count == outer * mid * inner)
        if outer == 1 { return Array(x) }
        if inner == 1 { return transpose(x, rows: outer, cols: mid) }
        return [T](unsafeUninitializedCapacity: x.count) { y, n in
            for o in 0..<outer {
                for m in 0..<mid {
                    let src = (o * mid + m) * inner, dst = (m * outer + o) * inner
                    for i in 0..<inner { (y.baseAddress! + dst + i).initialize(to: x[src + i]) }
                }
            }
            n = x.count
        }
    }

    /// The inverse of `moveAxisToFront`: x[o][m][i] = y[m][o][i]. `y` is [mid, outer, inner], so this is the same
    /// move with outer and mid exchanged.
    public static func moveFrontAxisBack<T>(_ y: UnsafeBufferPointer<T>, outer: Int, mid: Int, inner: Int) -> [T] {
        moveAxisToFront(y, outer: mid, mid: outer, inner: inner)
    }

    /// Matrix transpose of a rows × cols row-major matrix, in 32 × 32 tiles so that both the reads and the
    /// writes stay in cache (a plain strided loop misses on every write for large matrices).
    @_specialize(where T == Float)
    @_specialize(where T == UInt8)
    @_specialize(where T == UInt16)
    public static func transpose<T>(_ x: UnsafeBufferPointer<T>, rows: Int, cols: Int) -> [T] {
        precondition(x.count == rows * cols)
        let tile = 32
        return [T](unsafeUninitializedCapacity: x.count) { y, n in
            let src = x.baseAddress!, dst = y.baseAddress!
            var r0 = 0
            while r0 < rows {
                let r1 = min(r0 + tile, rows)
                var c0 = 0
                while c0 < cols {
                    let c1 = min(c0 + tile, cols)
                    for r in r0..<r1 {
                        for c in c0..<c1 { (dst + c * rows + r).initialize(to: src[r * cols + c]) }
                    }
                    c0 = c1
                }
                r0 = r1
            }
            n = x.count
        }
    }
}
