import PareKernels
import PareONNXProto

extension DistillPass {
    /// A layer's refitted weight (in its stored layout), bias, and the relative error after.
    struct Fit {
        var w: [Float]
        var bias: ([Float], [Int])?
        var error: Double
    }

    /// Ridge least squares of one MatMul / Gemm / Conv layer (see the type's documentation); nil when the solve fails or
    /// the layer's shapes do not match its data. The products and solves run on `threads` threads in fixed blocks
    /// (``LinearAlgebra``'s parallel functions), so the fit does not depend on the thread count.
    func refit(_ e: GraphEditor, node n: Onnx_NodeProto, dims: [Int], data: LayerData, threads: Int, flops: inout Double) throws -> Fit? {
        let isGemm = n.opType == "Gemm", isConv = n.opType == "Conv"
        // A Conv kernel [Cout, Cin, kh, kw] is the transposed K×N matrix of its im2col product (K = Cin·kh·kw).
        let transB = isConv || isGemm && (LowRankPass.attribute(n, "transB")?.i ?? 0) != 0
        let alpha = isGemm ? Double(LowRankPass.attribute(n, "alpha")?.f ?? 1) : 1
        let beta = isGemm ? Double(LowRankPass.attribute(n, "beta")?.f ?? 1) : 1
        let rowsOfStored = dims[0], colsOfStored = dims.dropFirst().reduce(1, *)
        let k = transB ? colsOfStored : rowsOfStored, nn = transB ? rowsOfStored : colsOfStored
        guard k == data.k, nn == data.n, alpha != 0 else { return nil }
        let stored = try e.floats(n.input[1])
        // W as K×N.
        var w = stored
        if transB {
            for r in 0..<nn { for c in 0..<k { w[c * nn + r] = stored[r * k + c] } }
        }
        var biasShape: [Int]? = nil
        if isGemm || isConv, n.input.count > 2, !n.input[2].isEmpty, let s = e.shape(n.input[2]), s.reduce(1, *) == nn, beta != 0,
           !e.isEncoded(n.input[2]) {
            biasShape = s
        }
        let kx = k + (biasShape == nil ? 0 : 1)
        let m = data.rows
        // X (with a ones column for the bias).
        var xa: [Float]
        if biasShape != nil {
            xa = [Float](repeating: 1, count: m * kx)
            for r in 0..<m { for c in 0..<k { xa[r * kx + c] = data.x[r * k + c] } }
        } else {
            xa = data.x
        }
        var gram = [Double](repeating: 0, count: kx * kx)
        LinearAlgebra.addGram(&gram, xa, rows: m, cols: kx, threads: threads)
        let xty = LinearAlgebra.matmul(xa.map(Double.init), data.yTeacher.map(Double.init), m: kx, k: m, n: nn, transA: true, threads: threads)
        flops += Double(m) * Double(kx) * Double(kx) + 2 * Double(m) * Double(kx) * Double(nn)
        var meanDiag = 0.0
        for j in 0..<kx { meanDiag += gram[j * kx + j] }
        meanDiag /= Double(kx)
        let ridge = config.damping * (meanDiag > 0 ? meanDiag : 1)
        for j in 0..<kx { gram[j * kx + j] += ridge }
        // Solution (kx × N).
        var sol: [Double]
        let dense = !w.contains(0)
        if dense {
            var a = gram
            sol = xty
            guard LinearAlgebra.solveSPD(&a, n: kx, &sol, rhs: nn, threads: threads) else { return nil }
            flops += Double(kx) * Double(kx) * Double(kx) / 3 + 2 * Double(kx) * Double(kx) * Double(nn)
        } else {
            // Per output column, on its support (pruned weights stay zero); the bias row is always free.
            let supports: [[Int]] = (0..<nn).map { c in
                (0..<k).filter { w[$0 * nn + c] != 0 } + (biasShape != nil ? [k] : [])
            }
            guard let s = LinearAlgebra.solveSPDOnSupports(gram, n: kx, xty, rhs: nn, supports: supports, threads: threads) else { return nil }
            sol = s
            for idx in supports {
                let s = Double(idx.count)
                flops += s * s * s / 3 + 2 * s * s
            }
        }
        // The prediction and its error, then the stored layout (divided by α and β).
        let solF = sol.map(Float.init)
        let pred = LinearAlgebra.matmul(xa, solF, m: m, k: kx, n: nn, threads: threads)
        let error = Self.relativeError(data.yTeacher, pred)
        var out = [Float](repeating: 0, count: k * nn)
        for r in 0..<k {
            for c in 0..<nn {
                let v = Float(sol[r * nn + c] / alpha)
                if transB { out[c * k + r] = v } else { out[r * nn + c] = v }
            }
        }
        var bias: ([Float], [Int])? = nil
        if let shape = biasShape { bias = ((0..<nn).map { Float(sol[k * nn + $0] / beta) }, shape) }
        return Fit(w: out, bias: bias, error: error)
    }
}
