import Foundation
import PareKernels
import PareRuntime

/// The heavy kernels of the compression passes against the machine's BLAS peak, on layer-sized problems:
/// sgemm / dgemm 1024² (the peak), the SVD of `lowrank` (LAPACK dgesdd), the ridge solve of `distill` (dsyrk of the
/// layer input + dposv), and GPTQ's column loop with lazy block updates. One OpenBLAS thread (what pare uses), best
/// of `--repeats`; FLOPs are the usual counts (gemm 2mnk; SVD ≈ 4mn² + 8n³; syrk mn²; Cholesky solve n³/3 + 2n²r;
/// GPTQ as `GPTQ.Result.flops`).
///
///     pare-bench linalg [--repeats N] [--size N]
enum LinearAlgebraBenchmark {
    static func run(arguments: [String]) {
        let repeats = W8A8Benchmark.value(arguments, "--repeats").flatMap(Int.init) ?? 3
        let n = W8A8Benchmark.value(arguments, "--size").flatMap(Int.init) ?? 1024
        BLAS.setThreads(1)
        var state: UInt64 = 0x9E3779B97F4A7C15
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2_000_001 - 1_000_000) / 1_000_000
        }
        let a = (0..<(n * n)).map { _ in next() }
        let b = (0..<(n * n)).map { _ in next() }
        let rowsX = 4 * n
        let x = (0..<(rowsX * n)).map { _ in next() }
        func best(_ body: () -> Double) -> (Double, Double) {
            var seconds = Double.infinity, flops = 0.0
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                flops = body()
                seconds = min(seconds, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
            }
            return (seconds, flops)
        }
        var rows: [(String, Double, Double)] = []
        let sg = best { _ = LinearAlgebra.matmul(a, b, m: n, k: n, n: n); return 2 * Double(n * n * n) }
        rows.append(("sgemm \(n)² (float32 peak)", sg.0, sg.1))
        let ad = a.map(Double.init), bd = b.map(Double.init)
        let dg = best { _ = LinearAlgebra.matmul(ad, bd, m: n, k: n, n: n); return 2 * Double(n * n * n) }
        rows.append(("dgemm \(n)² (float64 peak)", dg.0, dg.1))
        let svd = best { _ = LinearAlgebra.svd(a, rows: n, cols: n); return LowRank.svdFLOPs(rows: n, cols: n) }
        rows.append(("lowrank: SVD \(n)×\(n) (dgesdd)", svd.0, svd.1))
        let ls = best {
            var g = [Double](repeating: 0, count: n * n)
            LinearAlgebra.addGram(&g, x, rows: rowsX, cols: n)
            let mean = (0..<n).reduce(0.0) { $0 + g[$1 * n + $1] } / Double(n)
            for i in 0..<n { g[i * n + i] += 0.01 * mean }
            // Y has the layer's output width (here n too): XᵀY [n, n].
            let xd = x.map(Double.init)
            var rhs = LinearAlgebra.matmul(xd, xd, m: n, k: rowsX, n: n, transA: true)
            _ = LinearAlgebra.solveSPD(&g, n: n, &rhs, rhs: n)
            let nn = Double(n)
            return Double(rowsX) * nn * nn + 2 * Double(rowsX) * nn * nn + nn * nn * nn / 3 + 2 * nn * nn * nn
        }
        rows.append(("distill: XᵀX + XᵀY + ridge solve, \(rowsX) rows × \(n)", ls.0, ls.1))
        // GPTQ: a [n, n] weight, Hessian from the same inputs.
        var h = [Double](repeating: 0, count: n * n)
        LinearAlgebra.addGram(&h, x, rows: rowsX, cols: n)
        for i in h.indices { h[i] *= 2 / Double(rowsX) }
        let scheme = QuantScheme(type: .int4, granularity: .perGroup(32), symmetric: true)
        let gq = best {
            a.withUnsafeBufferPointer { GPTQ.fast($0, rows: n, cols: n, hessian: h, scheme: scheme, options: .init(blockSize: 128)) }?.flops ?? 0
        }
        rows.append(("gptq: \(n)×\(n) int4 g32, block 128", gq.0, gq.1))
        print("Heavy kernels of the compression passes, 1 OpenBLAS thread, best of \(repeats)")
        print("")
        print("| kernel | seconds | GFLOP/s | of the same-precision gemm peak |")
        print("| --- | --- | --- | --- |")
        for (name, s, f) in rows {
            let peak = name.hasPrefix("sgemm") ? sg.1 / sg.0 : dg.1 / dg.0
            print("| \(name) | " + String(format: "%.3f | %.2f | %.0f %% |", s, f / s / 1e9, 100 * (f / s) / peak))
        }
    }
}
