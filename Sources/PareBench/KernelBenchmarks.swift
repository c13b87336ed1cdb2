import Dispatch
import Foundation
import PareKernels

/// `pare-bench kernels [--rows R] [--cols C] [--repeat N] [--only SUBSTRING]`: throughput of every PareKernels kernel on one
/// seeded float32 matrix (default 4096 × 4096 = 64 MiB), on 1 and 2 threads, against memcpy of the same buffer.
///
/// GB/s = input bytes (the float32 matrix; 10^9 bytes per GB) / best wall time of N runs (default 5). Kernels
/// allocate their output arrays as their API does; "memcpy" copies into a preallocated buffer (the machine's
/// limit), and "memcpy (new array)" into a freshly allocated one, to show the allocation's share. glibc serves
/// allocations of 32 MiB and more with a fresh mmap, so each such output is page-faulted in again on every run;
/// run with `GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967295` to keep freed memory
/// in the heap and measure the kernels alone.
enum KernelBenchmarks {
    struct Kernel {
        var name: String
        /// False for kernels without a `threads` parameter: their 2-thread cells stay empty.
        var threaded = true
        var run: (Int) -> Int   // threads → a value derived from the output, so the work cannot be dropped
    }

    static func run(arguments: [String]) {
        func option(_ name: String, _ fallback: Int) -> Int {
            guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count, let v = Int(arguments[i + 1]), v > 0 else {
                return fallback
            }
            return v
        }
        let rows = option("--rows", 4096), cols = option("--cols", 4096), repeats = option("--repeat", 5)
        let count = rows * cols
        var rng: UInt64 = 0x5EED
        let x: [Float] = (0..<count).map { _ in
            rng &+= 0x9E37_79B9_7F4A_7C15
            var z = rng
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return (Float(z >> 40) * 0x1p-24 - 0.5) * 0.2   // uniform in [−0.1, 0.1)
        }
        let reconstructed = x.map { $0 + 0x1p-12 }
        let bytes = count * MemoryLayout<Float>.size
        let destination = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { destination.deallocate() }
        memset(destination, 0, bytes)

        func quantize(_ type: WeightType, _ granularity: QuantGranularity, symmetric: Bool,
                      fit: QuantFit = .minmax) -> (Int) -> Int {
            let scheme = QuantScheme(type: type, granularity: granularity, symmetric: symmetric, fit: fit)
            return { threads in
                x.withUnsafeBufferPointer { Quantizer.fast($0, rows: rows, cols: cols, scheme: scheme, threads: threads) }.data.count
            }
        }
        let int8Channel = QuantScheme(type: .int8, granularity: .perChannel, symmetric: true)
        let int8Codes = x.withUnsafeBufferPointer { Quantizer.fast($0, rows: rows, cols: cols, scheme: int8Channel, threads: 2) }

        let kernels: [Kernel] = [
            Kernel(name: "memcpy") { threads in
                x.withUnsafeBytes { src in
                    nonisolated(unsafe) let s = src.baseAddress!, d = destination
                    DispatchQueue.concurrentPerform(iterations: threads) { i in
                        let lo = bytes * i / threads, hi = bytes * (i + 1) / threads
                        memcpy(d + lo, s + lo, hi - lo)
                    }
                }
                return Int(destination.load(fromByteOffset: bytes - 4, as: UInt32.self))
            },
            Kernel(name: "memcpy (new array)", threaded: false) { _ in
                [Float](unsafeUninitializedCapacity: count) { buffer, n in
                    x.withUnsafeBytes { _ = memcpy(buffer.baseAddress!, $0.baseAddress!, bytes) }
                    n = count
                }.count
            },
            Kernel(name: "int8 per-channel sym", run: quantize(.int8, .perChannel, symmetric: true)),
            Kernel(name: "int8 per-tensor asym", run: quantize(.int8, .perTensor, symmetric: false)),
            Kernel(name: "uint8 per-channel asym", run: quantize(.uint8, .perChannel, symmetric: false)),
            Kernel(name: "int4 per-group 32 sym", run: quantize(.int4, .perGroup(32), symmetric: true)),
            Kernel(name: "uint4 per-group 128 asym", run: quantize(.uint4, .perGroup(128), symmetric: false)),
            Kernel(name: "int4 per-group 32 sym mse", run: quantize(.int4, .perGroup(32), symmetric: true, fit: .mse)),
            Kernel(name: "int4 per-group 32 asym mse", run: quantize(.int4, .perGroup(32), symmetric: false, fit: .mse)),
            Kernel(name: "fp16 cast") { threads in x.withUnsafeBufferPointer { HalfPrecision.toFloat16($0, threads: threads) }.count },
            Kernel(name: "bf16 cast") { threads in x.withUnsafeBufferPointer { HalfPrecision.toBFloat16($0, threads: threads) }.count },
            Kernel(name: "magnitude prune 50%") { threads in
                x.withUnsafeBufferPointer { Pruning.magnitude($0, sparsity: 0.5, threads: threads) }.count
            },
            Kernel(name: "2:4 prune") { threads in
                x.withUnsafeBufferPointer { Pruning.nm($0, rows: rows, cols: cols, n: 2, m: 4, threads: threads) }.count
            },
            Kernel(name: "error metrics (2 buffers)") { threads in
                x.withUnsafeBufferPointer { o in
                    reconstructed.withUnsafeBufferPointer { ErrorMetrics.compare(original: o, reconstructed: $0, threads: threads) }
                }.count
            },
            Kernel(name: "quantization error int8/ch") { threads in
                x.withUnsafeBufferPointer {
                    ErrorMetrics.quantizationError(original: $0, quantized: int8Codes, scheme: int8Channel, threads: threads)
                }.count
            },
            // Palettization: 4-bit (16 entries) 1-D k-means, one table per 64 rows, 30 Lloyd steps (values/s =
            // GB/s / 4e-9). The reference is the plain O(n·k) Lloyd loop; slow, so run it with --rows 256 or less.
            Kernel(name: "k-means 4-bit, 64 rows/table") { threads in
                x.withUnsafeBufferPointer { KMeans1D.fast($0, groupSize: 64 * cols, k: 16, iterations: 30, seed: 0, threads: threads) }.indices.count
            },
            Kernel(name: "k-means 4-bit plain Lloyd (reference)", threaded: false) { _ in
                x.withUnsafeBufferPointer { KMeans1D.reference($0, groupSize: 64 * cols, k: 16, iterations: 30, seed: 0) }.indices.count
            },
            Kernel(name: "finite check", threaded: false) { _ in x.withUnsafeBufferPointer { FiniteCheck.firstNonFinite($0) } ?? 0 },
        ]

        func best(_ kernel: Kernel, threads: Int) -> Double {
            var bestSeconds = Double.infinity
            var sink = 0
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                sink &+= kernel.run(threads)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
                bestSeconds = Swift.min(bestSeconds, seconds)
            }
            if sink == Int.min { print("") }
            return Double(bytes) / bestSeconds / 1e9
        }

        print("pare-bench kernels: \(rows) × \(cols) float32 (\(bytes >> 20) MiB), best of \(repeats), GB/s = input bytes / time")
        let header = ["kernel", "1 thread GB/s", "% memcpy", "2 threads GB/s", "% memcpy"]
        var table: [[String]] = []
        var memcpyRate = [1: 0.0, 2: 0.0]
        var floor = (rate: 0.0, share: 0.0)
        let only = arguments.firstIndex(of: "--only").flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
        for kernel in kernels where kernel.name == "memcpy" || only.map({ kernel.name.contains($0) }) ?? true {
            var cells = [kernel.name]
            for threads in [1, 2] {
                guard threads == 1 || kernel.threaded else {
                    cells += ["—", "—"]
                    continue
                }
                let rate = best(kernel, threads: threads)
                if kernel.name == "memcpy" { memcpyRate[threads] = rate }
                let share = rate / memcpyRate[threads]! * 100
                if kernel.name == "int8 per-channel sym" && threads == 1 { floor = (rate, share) }
                cells += [String(format: "%.2f", rate), String(format: "%.0f%%", share)]
            }
            table.append(cells)
        }
        let widths = header.indices.map { c in ([header] + table).map { $0[c].count }.max()! }
        func line(_ cells: [String]) -> String {
            "| " + cells.enumerated().map { c, s in
                c == 0 ? s.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[c] - s.count) + s
            }.joined(separator: " | ") + " |"
        }
        print(line(header))
        print("|" + widths.enumerated().map { c, w in c == 0 ? String(repeating: "-", count: w + 2) : String(repeating: "-", count: w + 1) + ":" }.joined(separator: "|") + "|")
        for cells in table { print(line(cells)) }
        guard floor.rate > 0 else { return }
        print(String(format: "floor (int8 per-channel sym, 1 thread ≥ 50%% of memcpy): %.2f GB/s = %.0f%%",
                     floor.rate, floor.share) + (floor.share >= 50 ? " → PASS" : " → FAIL"))
    }
}
