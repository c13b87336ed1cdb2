import Foundation
import PareBasics
import PareKernels
import PareRuntime

/// The heavy kernels of the compression passes against the machine's BLAS peak, on layer-sized problems:
/// sgemm / dgemm 1024² (the peak), the SVD of `lowrank` (LAPACK dgesdd), the ridge solve of `distill` (Gram of the
/// layer input + XᵀY + Cholesky solve), and GPTQ's column loop with lazy block updates. Each is measured on 1 thread
/// and on `--threads` threads (default: the cores) the way the passes run them: OpenBLAS at one thread and pare's
/// fixed-block splitting (``LinearAlgebra``'s `threads:` functions, GPTQ's row chunks), or for the SVD, one layer
/// per thread (lowrank's layer windows). The peak rows also show OpenBLAS's own threading, the machine's limit.
/// Best of `--repeats`; FLOPs are the usual counts (gemm 2mnk; SVD ≈ 4mn² + 8n³; Gram mn²; Cholesky solve
/// n³/3 + 2n²r; GPTQ as `GPTQ.Result.flops`).
///
///     pare-bench linalg [--repeats N] [--size N] [--threads N]
enum LinearAlgebraBenchmark {
    static func run(arguments: [String]) {
        let repeats = W8A8Benchmark.value(arguments, "--repeats").flatMap(Int.init) ?? 3
        let n = W8A8Benchmark.value(arguments, "--size").flatMap(Int.init) ?? 1024
        let threads = W8A8Benchmark.value(arguments, "--threads").flatMap(Int.init) ?? ProcessInfo.processInfo.activeProcessorCount
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
        let ad = a.map(Double.init), bd = b.map(Double.init)
        func best(_ body: () -> Double) -> (Double, Double) {
            var seconds = Double.infinity, flops = 0.0
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                flops = body()
                seconds = min(seconds, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
            }
            return (seconds, flops)
        }
        var h = [Double](repeating: 0, count: n * n)
        LinearAlgebra.addGram(&h, x, rows: rowsX, cols: n)
        for i in h.indices { h[i] *= 2 / Double(rowsX) }
        let scheme = QuantScheme(type: .int4, granularity: .perGroup(32), symmetric: true)
        let nn = Double(n)
        /// Every kernel at `t` threads: (name, seconds, flops).
        func measure(_ t: Int) -> [(String, Double, Double)] {
            var rows: [(String, Double, Double)] = []
            BLAS.setThreads(t)
            let sp = best { _ = LinearAlgebra.matmul(a, b, m: n, k: n, n: n); return 2 * nn * nn * nn }
            let dp = best { _ = LinearAlgebra.matmul(ad, bd, m: n, k: n, n: n); return 2 * nn * nn * nn }
            BLAS.setThreads(1)
            rows.append(("sgemm \(n)², OpenBLAS's threads (float32 peak)", sp.0, sp.1))
            rows.append(("dgemm \(n)², OpenBLAS's threads (float64 peak)", dp.0, dp.1))
            let sg = best { _ = LinearAlgebra.matmul(a, b, m: n, k: n, n: n, threads: t); return 2 * nn * nn * nn }
            rows.append(("sgemm \(n)², pare's fixed row blocks", sg.0, sg.1))
            let dg = best { _ = LinearAlgebra.matmul(ad, bd, m: n, k: n, n: n, threads: t); return 2 * nn * nn * nn }
            rows.append(("dgemm \(n)², pare's fixed row blocks", dg.0, dg.1))
            let svd = best {
                _ = try? ParallelMap.run(count: t, workers: t) { _ in LinearAlgebra.svd(a, rows: n, cols: n) }
                return Double(t) * LowRank.svdFLOPs(rows: n, cols: n)
            }
            rows.append(("lowrank: SVD \(n)×\(n) (dgesdd), one layer per thread", svd.0, svd.1))
            let gram = best {
                var g = [Double](repeating: 0, count: n * n)
                LinearAlgebra.addGram(&g, x, rows: rowsX, cols: n, threads: t)
                return Double(rowsX) * nn * nn
            }
            rows.append(("gptq / distill: Gram XᵀX, \(rowsX) rows × \(n)", gram.0, gram.1))
            let ls = best {
                var g = [Double](repeating: 0, count: n * n)
                LinearAlgebra.addGram(&g, x, rows: rowsX, cols: n, threads: t)
                let mean = (0..<n).reduce(0.0) { $0 + g[$1 * n + $1] } / nn
                for i in 0..<n { g[i * n + i] += 0.01 * mean }
                // Y has the layer's output width (here n too): XᵀY [n, n].
                let xd = x.map(Double.init)
                var rhs = LinearAlgebra.matmul(xd, xd, m: n, k: rowsX, n: n, transA: true, threads: t)
                _ = LinearAlgebra.solveSPD(&g, n: n, &rhs, rhs: n, threads: t)
                return Double(rowsX) * nn * nn + 2 * Double(rowsX) * nn * nn + nn * nn * nn / 3 + 2 * nn * nn * nn
            }
            rows.append(("distill: XᵀX + XᵀY + ridge solve, \(rowsX) rows × \(n)", ls.0, ls.1))
            let gq = best {
                a.withUnsafeBufferPointer { GPTQ.fast($0, rows: n, cols: n, hessian: h, scheme: scheme, options: .init(blockSize: 128), threads: t) }?.flops ?? 0
            }
            rows.append(("gptq: \(n)×\(n) int4 g32, block 128", gq.0, gq.1))
            return rows
        }
        let one = measure(1)
        let many = measure(threads)
        let peakN = (many[0].2 / many[0].1, many[1].2 / many[1].1)
        print("Heavy kernels of the compression passes: 1 thread and \(threads) threads, best of \(repeats)")
        print("")
        print("| kernel | 1 thread: s | GFLOP/s | \(threads) threads: s | GFLOP/s | speed-up | of the \(threads)-thread gemm peak |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for (r1, rn) in zip(one, many) {
            let peak = r1.0.hasPrefix("sgemm") ? peakN.0 : peakN.1
            print("| \(r1.0) | " + String(format: "%.3f | %.2f | %.3f | %.2f | %.2f× | %.0f %% |", r1.1, r1.2 / r1.1 / 1e9, rn.1, rn.2 / rn.1 / 1e9,
                                           (rn.2 / rn.1) / (r1.2 / r1.1), 100 * (rn.2 / rn.1) / peak))
        }
    }
}
