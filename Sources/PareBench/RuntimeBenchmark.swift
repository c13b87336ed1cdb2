import Foundation
import PareRuntime

/// pare's interpreter (PareRuntime, OpenBLAS on 1 thread) against ONNX Runtime (1 intra-op thread, sequential)
/// on the fixture CNN and transformer (opset 17): median latency of one sample over `--repeats` runs (default
/// 50) after two warm-up runs, the ratio, and the interpreter's max relative error against ORT's output. The
/// runs are made in `--rounds` alternating rounds (default 5: ORT repeats/rounds runs, then pare as many), so
/// both see the same load on a shared machine; the medians are over all runs of each.
enum RuntimeBenchmark {
    struct Manifest: Decodable {
        struct Entry: Decodable { var name: String; var dtype: String; var shape: [Int]; var file: String }
        struct Sample: Decodable { var inputs: [Entry]; var outputs: [Entry] }
        var samples: [Sample]
        var bench_ms: [Double]?
    }

    static func load(_ dir: String, _ e: Manifest.Entry) throws -> Tensor {
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + e.file))
        let n = e.shape.reduce(1, *)
        return try data.withUnsafeBytes { raw -> Tensor in
            switch e.dtype {
            case "float32": return Tensor(floats: (0..<n).map { Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self).littleEndian) }, shape: e.shape)
            case "int64": return Tensor(ints: (0..<n).map { Int64(bitPattern: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self).littleEndian) }, shape: e.shape)
            default: throw ONNXBenchmark.BenchError("\(e.name): dtype \(e.dtype) is not read by the benchmark")
            }
        }
    }

    static func median(_ v: [Double]) -> Double { v.sorted()[v.count / 2] }

    static func run(arguments: [String]) throws {
        let repeats = arguments.firstIndex(of: "--repeats").flatMap { Int(arguments[$0 + 1]) } ?? 50
        let rounds = max(1, min(repeats, arguments.firstIndex(of: "--rounds").flatMap { Int(arguments[$0 + 1]) } ?? 5))
        let python = ONNXBenchmark.repo + "/.venv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else { throw ONNXBenchmark.BenchError("run scripts/setup-venv.sh first") }
        let dir = NSTemporaryDirectory() + "pare-bench-runtime-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (status, _, err) = try ONNXBenchmark.shell([python, ONNXBenchmark.repo + "/scripts/onnx_fixtures.py", dir, "--opset", "17", "--only", "cnn,transformer", "--no-verify"])
        guard status == 0 else { throw ONNXBenchmark.BenchError("onnx_fixtures.py failed: \(err)") }
        print("model        ORT 1 thread   pare 1 thread   pare/ORT   max rel. error")
        for name in ["cnn", "transformer"] {
            let model = "\(dir)/\(name).onnx", out = "\(dir)/\(name)-ort"
            let interp = try Interpreter(path: model, options: InterpreterOptions(blasThreads: 1))
            var ortTimes: [Double] = [], times: [Double] = []
            var m: Manifest? = nil, result: [String: Tensor] = [:]
            for round in 0..<rounds {
                let n = repeats / rounds + (round < repeats % rounds ? 1 : 0)
                let (s, _, e) = try ONNXBenchmark.shell([python, ONNXBenchmark.repo + "/scripts/run_onnx.py", model, "\(dir)/\(name).inputs.npz", out,
                                                        "--samples", "1", "--threads", "1", "--bench", String(max(n, 1))])
                guard s == 0 else { throw ONNXBenchmark.BenchError("run_onnx.py failed: \(e)") }
                let manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json")))
                ortTimes += manifest.bench_ms ?? []
                if m == nil {
                    m = manifest
                    let inputs = Dictionary(uniqueKeysWithValues: try manifest.samples[0].inputs.map { ($0.name, try load(out, $0)) })
                    result = try interp.run(inputs)
                    _ = try interp.run(inputs)
                }
                let inputs = Dictionary(uniqueKeysWithValues: try manifest.samples[0].inputs.map { ($0.name, try load(out, $0)) })
                for _ in 0..<n {
                    let t = DispatchTime.now().uptimeNanoseconds
                    result = try interp.run(inputs)
                    times.append(Double(DispatchTime.now().uptimeNanoseconds - t) / 1e6)
                }
            }
            let sample = m!.samples[0]
            let inputs = Dictionary(uniqueKeysWithValues: try sample.inputs.map { ($0.name, try load(out, $0)) })
            var worst = 0.0
            for o in sample.outputs {
                let want = try load(out, o).asFloats, got = result[o.name]!.asFloats
                var d = 0.0, scale = 0.0
                for i in want.indices { d = max(d, abs(Double(got[i]) - Double(want[i]))); scale = max(scale, abs(Double(want[i]))) }
                worst = max(worst, d / max(scale, 1e-30))
            }
            let ort = median(ortTimes.isEmpty ? [.nan] : ortTimes), pare = median(times)
            print(name.padding(toLength: 12, withPad: " ", startingAt: 0) + String(format: " %9.3f ms   %10.3f ms   %7.2fx   %.2e", ort, pare, pare / ort, worst))
            if arguments.contains("--ops") {
                var t: [String: Double]? = [:]
                var total = 0.0
                for _ in 0..<repeats {
                    let start = DispatchTime.now().uptimeNanoseconds
                    _ = try interp.run(inputs, timings: &t)
                    total += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
                }
                // Per op type, mean over the runs; "(between kernels)" is the run's own overhead.
                t!["(between kernels)"] = total - t!.values.reduce(0, +)
                for (op, ms) in t!.sorted(by: { $0.value > $1.value }) { print("    " + op.padding(toLength: 22, withPad: " ", startingAt: 0) + String(format: " %8.3f ms", ms / Double(repeats))) }
            }
        }
    }
}
