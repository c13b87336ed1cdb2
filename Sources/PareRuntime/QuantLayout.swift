/// Which scale / zero point applies to each element of a QuantizeLinear / DequantizeLinear input, as ONNX
/// defines the three layouts: per tensor (a scalar or one-element scale), per axis (1-D scale of x.shape[axis],
/// default axis 1) or blocked (opset 21: `block_size` > 0, scale of x's rank with ⌈x.shape[axis] / block_size⌉
/// at `axis` and x's other dimensions).
struct QuantLayout {
    enum Kind { case perTensor, perAxis, blocked }
    let kind: Kind
    let inner: Int
    let dim: Int
    let block: Int
    let scaleDim: Int

    init(_ c: OpContext, x: [Int], scale: [Int]) throws {
        let count = scale.reduce(1, *)
        let block = c.int("block_size", 0)
        if count == 1 && scale.count <= 1 && block <= 0 {
            kind = .perTensor
            inner = 1; dim = 1; self.block = 1; scaleDim = 1
            return
        }
        let axis = try c.axis(c.int("axis", 1), rank: x.count)
        inner = x[(axis + 1)...].reduce(1, *)
        dim = x[axis]
        if block <= 0 {
            guard scale == [dim] else { throw c.fail("scale \(scale) does not fit axis \(axis) of \(x) (expected [\(dim)])") }
            kind = .perAxis
            self.block = 1
            scaleDim = dim
        } else {
            var want = x
            want[axis] = (dim + block - 1) / block
            guard scale == want else { throw c.fail("scale \(scale) does not fit block_size \(block) on axis \(axis) of \(x) (expected \(want))") }
            kind = .blocked
            self.block = block
            scaleDim = want[axis]
        }
    }

    /// The scale / zero-point index of element `i` of x.
    @inline(__always) func index(_ i: Int) -> Int {
        switch kind {
        case .perTensor: return 0
        case .perAxis: return (i / inner) % dim
        case .blocked:
            let outer = i / (inner * dim), ch = (i / inner) % dim, k = i % inner
            return (outer * scaleDim + ch / block) * inner + k
        }
    }
}
