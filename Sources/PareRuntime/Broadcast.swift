/// Numpy (multidirectional) broadcasting: shapes are aligned at their last dimension, and each pair of
/// dimensions must be equal or one of them 1.
enum Broadcast {
    /// The broadcast shape of `a` and `b`, or nil when they are incompatible.
    static func shape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let r = max(a.count, b.count)
        var out = [Int](repeating: 1, count: r)
        for i in 0..<r {
            let x = i < r - a.count ? 1 : a[i - (r - a.count)]
            let y = i < r - b.count ? 1 : b[i - (r - b.count)]
            guard x == y || x == 1 || y == 1 else { return nil }
            out[i] = x == 1 ? y : x
        }
        return out
    }

    /// Row-major strides.
    static func strides(_ s: [Int]) -> [Int] {
        var out = [Int](repeating: 1, count: s.count)
        var acc = 1
        for d in stride(from: s.count - 1, through: 0, by: -1) {
            out[d] = acc
            acc *= s[d]
        }
        return out
    }

    /// Strides of `s` for indexing with an index of `out` (rank `out.count` ≥ `s.count`): 0 on the missing
    /// leading dimensions and on the dimensions of size 1.
    static func alignedStrides(_ s: [Int], to out: [Int]) -> [Int] {
        let st = strides(s)
        let lead = out.count - s.count
        return (0..<out.count).map { d in d < lead || s[d - lead] == 1 ? 0 : st[d - lead] }
    }

    /// For every element of `out` (row-major), the offset of the element of a tensor of shape `s` it reads.
    static func offsets(_ s: [Int], to out: [Int]) -> [Int] {
        stridedOffsets(shape: out, strides: alignedStrides(s, to: out))
    }

    /// For every index of `shape` in row-major order, Σ index[d] · strides[d] (an odometer over the indices).
    static func stridedOffsets(shape: [Int], strides st: [Int]) -> [Int] {
        let n = shape.reduce(1, *)
        guard n > 0 else { return [] }
        var result = [Int](repeating: 0, count: n)
        let r = shape.count
        guard r > 0 else { return result }
        var idx = [Int](repeating: 0, count: r)
        var off = 0
        for o in 0..<n {
            result[o] = off
            var d = r - 1
            while d >= 0 {
                idx[d] += 1
                off += st[d]
                if idx[d] < shape[d] { break }
                off -= st[d] * shape[d]
                idx[d] = 0
                d -= 1
            }
        }
        return result
    }

    /// `f` applied elementwise over the broadcast of `a` (shape `ashape`) and `b` (shape `bshape`) to `out`.
    /// Equal shapes and a scalar operand take direct loops; otherwise the last dimension runs as an inner loop.
    @inline(__always)
    static func binary<A, B, R>(_ a: [A], _ ashape: [Int], _ b: [B], _ bshape: [Int], out: [Int], _ f: (A, B) -> R) -> [R] {
        let n = out.reduce(1, *)
        if n == 0 { return [] }
        if a.count == n && b.count == n && ashape == bshape {
            return [R](unsafeUninitializedCapacity: n) { buf, count in
                a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in
                    for i in 0..<n { (buf.baseAddress! + i).initialize(to: f(pa[i], pb[i])) }
                } }
                count = n
            }
        }
        if b.count == 1 && a.count == n {
            let y = b[0]
            return a.map { f($0, y) }
        }
        if a.count == 1 && b.count == n {
            let x = a[0]
            return b.map { f(x, $0) }
        }
        let r = out.count
        let sa = alignedStrides(ashape, to: out), sb = alignedStrides(bshape, to: out)
        let inner = out[r - 1], ia = sa[r - 1], ib = sb[r - 1]
        let outer = n / inner
        return [R](unsafeUninitializedCapacity: n) { buf, count in
            a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in
                var idx = [Int](repeating: 0, count: r)
                var offA = 0, offB = 0
                var o = 0
                for _ in 0..<outer {
                    for j in 0..<inner {
                        (buf.baseAddress! + o + j).initialize(to: f(pa[offA + j * ia], pb[offB + j * ib]))
                    }
                    o += inner
                    var d = r - 2
                    while d >= 0 {
                        idx[d] += 1
                        offA += sa[d]
                        offB += sb[d]
                        if idx[d] < out[d] { break }
                        offA -= sa[d] * out[d]
                        offB -= sb[d] * out[d]
                        idx[d] = 0
                        d -= 1
                    }
                }
            } }
            count = n
        }
    }
}
