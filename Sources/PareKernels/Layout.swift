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
    public static func moveAxisToFront<T>(_ x: UnsafeBufferPointer<T>, outer: Int, mid: Int, inner: Int) -> [T] {
        precondition(x.count == outer * mid * inner)
        if outer == 1 { return Array(x) }
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

    /// The inverse of `moveAxisToFront`: x[o][m][i] = y[m][o][i].
    public static func moveFrontAxisBack<T>(_ y: UnsafeBufferPointer<T>, outer: Int, mid: Int, inner: Int) -> [T] {
        precondition(y.count == outer * mid * inner)
        if outer == 1 { return Array(y) }
        return [T](unsafeUninitializedCapacity: y.count) { x, n in
            for o in 0..<outer {
                for m in 0..<mid {
                    let dst = (o * mid + m) * inner, src = (m * outer + o) * inner
                    for i in 0..<inner { (x.baseAddress! + dst + i).initialize(to: y[src + i]) }
                }
            }
            n = y.count
        }
    }
}
