/// MatMul followed by an Add of a constant bias, fused at load time (`InterpreterRewrites`): the node reads A, B
/// and the bias (inputs 0, 1, 2). On float32 A and B with B 2-D [K, N], A of rank ≥ 2 and a bias of N values
/// whose other dimensions are 1 (and rank ≤ A's), y = A·B + bias is one sgemm with β = 1 onto rows holding the
/// bias: per element (Σₖ a·b) + bias, as MatMul then Add compute it (float32 rounding of the sum may differ in
/// the last bit when OpenBLAS splits K). Any other case runs the MatMul and Add kernels one after the other.
extension Ops {
    static func matMulBias(_ c: OpContext) throws -> [Tensor] {
        let a = try c.input(0), b = try c.input(1), bias = try c.input(2)
        if a.dtype == .float32, b.dtype == .float32, bias.dtype == .float32, a.rank >= 2, b.rank == 2, bias.rank <= a.rank,
           let av = a.floats, let bv = b.floats, let biasv = bias.floats,
           a.shape[a.rank - 1] == b.shape[0], bias.shape.last == b.shape[1], bias.shape.dropLast().allSatisfy({ $0 == 1 }) {
            let k = b.shape[0], n = b.shape[1], rows = a.count / max(k, 1)
            if k > 0 && rows > 0 && n > 0 {
                var out = Tensor.uninitializedFloats(rows * n)
                out.withUnsafeMutableBufferPointer { po in
                    biasv.withUnsafeBufferPointer { pb in
                        for r in 0..<rows { (po.baseAddress! + r * n).update(from: pb.baseAddress!, count: n) }
                    }
                    av.withUnsafeBufferPointer { pa in bv.withUnsafeBufferPointer { pw in
                        BLAS.sgemm(m: rows, n: n, k: k, a: pa.baseAddress!, lda: k, b: pw.baseAddress!, ldb: n, beta: 1, c: po.baseAddress!, ldc: n)
                    } }
                }
                return [Tensor(floats: out, shape: Array(a.shape.dropLast()) + [n], dtype: .float32)]
            }
        }
        let product = try matMul(OpContext(node: c.node, label: c.label, opset: c.opset, inputs: [a, b], tensorAttributes: [:]))[0]
        var add = c.node
        add.opType = "Add"
        return try registry["Add"]!(OpContext(node: add, label: c.label, opset: c.opset, inputs: [product, bias], tensorAttributes: [:]))
    }
}
