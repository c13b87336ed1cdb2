/// Matrix products on float tensors, through `cblas_sgemm`. MatMul: numpy semantics — a 1-D operand is
/// promoted to a matrix and its dimension removed afterwards, leading (batch) dimensions broadcast; when B has no
/// batch, A's batch is folded into one product. Gemm: Y = α · op(A) · op(B) + β · C with op the optional
/// transpose (transA, transB), C broadcast to [M, N] (α = β = 1 by default).
extension Ops {
    static func matMul(_ c: OpContext) throws -> [Tensor] {
        let (a, ashape0, dtype) = try c.floatInput(0)
        let (b, bshape0, _) = try c.floatInput(1)
        guard !ashape0.isEmpty, !bshape0.isEmpty else { throw c.fail("has a scalar operand (\(ashape0), \(bshape0))") }
        let aVec = ashape0.count == 1, bVec = bshape0.count == 1
        let ash = aVec ? [1, ashape0[0]] : ashape0, bsh = bVec ? [bshape0[0], 1] : bshape0
        let m = ash[ash.count - 2], k = ash[ash.count - 1], k2 = bsh[bsh.count - 2], n = bsh[bsh.count - 1]
        guard k == k2 else { throw c.fail("cannot multiply \(ashape0) by \(bshape0): inner dimensions \(k) and \(k2) differ") }
        let aBatch = Array(ash.dropLast(2)), bBatch = Array(bsh.dropLast(2))
        guard let batch = Broadcast.shape(aBatch, bBatch) else { throw c.fail("cannot broadcast the batch dimensions of \(ashape0) and \(bshape0)") }
        let count = batch.reduce(1, *)
        var out = k > 0 ? Tensor.uninitializedFloats(count * m * n) : [Float](repeating: 0, count: count * m * n)
        if !out.isEmpty && k > 0 {
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in out.withUnsafeMutableBufferPointer { po in
            if bBatch.reduce(1, *) == 1 && aBatch == batch {
                BLAS.sgemm(m: count * m, n: n, k: k, a: pa.baseAddress!, lda: k, b: pb.baseAddress!, ldb: n, c: po.baseAddress!, ldc: n)
            } else {
                let ao = Broadcast.offsets(aBatch, to: batch), bo = Broadcast.offsets(bBatch, to: batch)
                for i in 0..<count {
                    BLAS.sgemm(m: m, n: n, k: k, a: pa.baseAddress! + ao[i] * m * k, lda: k, b: pb.baseAddress! + bo[i] * k * n, ldb: n,
                               c: po.baseAddress! + i * m * n, ldc: n)
                }
            }
        } } }
        }
        var shape = batch
        if !aVec { shape.append(m) }
        if !bVec { shape.append(n) }
        return [Tensor(floats: out, shape: shape, dtype: dtype)]
    }

    static func gemm(_ c: OpContext) throws -> [Tensor] {
        let (a, ashape, dtype) = try c.floatInput(0)
        let (b, bshape, _) = try c.floatInput(1)
        guard ashape.count == 2, bshape.count == 2 else { throw c.fail("needs 2-D A and B, got \(ashape) and \(bshape)") }
        let ta = c.int("transA", 0) != 0, tb = c.int("transB", 0) != 0
        let m = ta ? ashape[1] : ashape[0], k = ta ? ashape[0] : ashape[1]
        let k2 = tb ? bshape[1] : bshape[0], n = tb ? bshape[0] : bshape[1]
        guard k == k2 else { throw c.fail("cannot multiply A \(ashape)\(ta ? "ᵀ" : "") by B \(bshape)\(tb ? "ᵀ" : ""): \(k) ≠ \(k2)") }
        let alpha = c.float("alpha", 1), beta = c.float("beta", 1)
        var out = [Float](repeating: 0, count: m * n)
        var hasC = false
        if let ct = c.optionalInput(2), beta != 0 {
            guard let cv = ct.floats, Broadcast.shape(ct.shape, [m, n]) == [m, n] else { throw c.fail("C \(ct.dtype)\(ct.shape) does not broadcast to [\(m), \(n)]") }
            let offs = Broadcast.offsets(ct.shape, to: [m, n])
            for i in 0..<(m * n) { out[i] = beta * cv[offs[i]] }
            hasC = true
        }
        if !out.isEmpty && k > 0 {
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in out.withUnsafeMutableBufferPointer { po in
            BLAS.sgemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: alpha, a: pa.baseAddress!, lda: ashape[1],
                       b: pb.baseAddress!, ldb: bshape[1], beta: hasC ? 1 : 0, c: po.baseAddress!, ldc: n)
        } } }
        }
        return [Tensor(floats: out, shape: [m, n], dtype: dtype)]
    }

    static let matMulKernels: [String: Kernel] = [
        "MatMul": matMul,
        "Gemm": gemm,
    ]
}
