import Foundation
import PareFormats
import PareRuntime
import ParePasses

/// The compression catalog on the opset-17 fixture CNN and transformer: each pass alone and two realistic chains,
/// built by `pare build` (release) for x86-64-avx2 with a fresh cache, calibrated on 32 samples of
/// `<name>.calib.npz`. Per row: bundle size, parameters and FLOPs of the bundle's model (the reference interpreter
/// runs it once and counts Conv / Gemm / MatMul MACs × 2; parameters are the elements of every float or integer
/// initializer except shapes), output cosine vs the float model in ONNX Runtime on the 64 samples of
/// `<name>.eval.npz` (scripts/check_onnx.py), wall time of the build (median of `--repeats`), and what each model
/// pass reported about its kernels.
///
///     pare-bench catalog [--repeats N] [--fixtures cnn,transformer] [--only LABEL,...] [--keep DIR]
enum CatalogBenchmark {
    static let target = "x86-64-avx2"

    /// (label, passes) per fixture; "float" is the source model itself.
    static func configurations(_ fixture: String) -> [(String, String)] {
        let conv = fixture == "cnn"
        // The CNN's first conv has rows of 27 (3·3·3): no group of 32 or 2:4 pattern fits; it stays int8 / dense.
        let int4 = "{ weights: { dtype: int4, granularity: per-group, group: 32 }\(conv ? ", exclude: [conv1.weight]" : "") }"
        let p24 = "{ pattern: \"2:4\", \(conv ? "exclude: [conv1.weight]" : "include: [\"*mlp*\"]") }"
        return [
            ("fold", "  - fold"),
            ("prune channels 0.25 (l1)", "  - prune: { structure: channels, sparsity: 0.25 }"),
            ("prune 2:4 (\(conv ? "all but conv1" : "MLP"))", "  - prune: \(p24)"),
            ("palettize 4 bits", "  - palettize: { bits: 4 }"),
            ("palettize 2 bits, 8 ch/table", "  - palettize: { bits: 2, group_channels: 8 }"),
            ("lowrank energy 0.9", "  - lowrank: { energy: 0.9 }"),
            ("lowrank energy 0.9 → distill", "  - lowrank: { energy: 0.9 }\n  - distill"),
            ("prune channels 0.25 → distill", "  - prune: { structure: channels, sparsity: 0.25 }\n  - distill"),
            ("quantize int4 g32 (round-to-nearest)", "  - quantize: \(int4)"),
            ("gptq int4 g32", "  - gptq: \(int4)"),
            ("quantize int8 per-channel", "  - quantize"),
            ("mixed-precision 6 bits/weight", "  - mixed-precision: { bits_per_weight: 6\(conv ? ", exclude: [conv1.weight]" : "") }"),
            ("distill after prune 2:4", "  - prune: \(p24)\n  - distill"),
            ("chain: prune 2:4 → distill → int8", "  - prune: \(p24)\n  - distill\n  - quantize"),
            // Rank 32 so groups of 32 divide the transformer's factors (q/k/v/out stay whole: rank 32 of 64 does not
            // pay); the CNN's Tucker cores have r·9 input features, so its chain quantizes int4 per channel.
            ("chain: lowrank → distill → gptq int4", conv
                ? "  - fold\n  - lowrank: { energy: 0.95 }\n  - distill\n  - gptq: { weights: { dtype: int4, granularity: per-channel } }"
                : "  - lowrank: { rank: 32 }\n  - distill\n  - gptq: \(int4)"),
            ("chain: fold → prune channels 0.25 → distill → int8", "  - fold\n  - prune: { structure: channels, sparsity: 0.25 }\n  - distill\n  - quantize"),
        ]
    }

    struct Row {
        var fixture, label: String
        var seconds: Double
        var bytes: Int
        var parameters, flops: Int
        var cosMean, cosMin: Double
        var note: String
    }

    static func run(arguments: [String]) throws {
        let repo = ONNXBenchmark.repo
        let repeats = W8A8Benchmark.value(arguments, "--repeats").flatMap(Int.init) ?? 1
        let fixtures = W8A8Benchmark.value(arguments, "--fixtures")?.split(separator: ",").map(String.init) ?? ["cnn", "transformer"]
        let only = W8A8Benchmark.value(arguments, "--only")?.split(separator: ",").map(String.init)
        let venv = ProcessInfo.processInfo.environment["PARE_VENV"] ?? repo + "/.venv"
        let python = venv + "/bin/python"
        let pare = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("pare").path
        guard FileManager.default.isExecutableFile(atPath: pare), FileManager.default.isExecutableFile(atPath: python) else {
            throw ONNXBenchmark.BenchError("needs \(pare) (swift build -c release --product pare) and \(python) (scripts/setup-venv.sh)")
        }
        let keep = W8A8Benchmark.value(arguments, "--keep")
        let dir = try W8A8Benchmark.workFolder(keep: keep, label: "catalog", fixtures: fixtures, python: python)
        let fm = FileManager.default
        defer { if keep == nil { try? fm.removeItem(atPath: dir) } }

        func measure(_ fixture: String, _ model: String, label: String, seconds: Double, note: String) throws -> Row {
            let (s, out, e) = try ONNXBenchmark.shell([python, repo + "/scripts/check_onnx.py", "--reference", "\(dir)/models/\(fixture).onnx",
                                                      "--candidate", model, "--inputs", "\(dir)/models/\(fixture).eval.npz", "--json"])
            guard s == 0, let obj = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any],
                  let outputs = obj["outputs"] as? [String: [String: Any]], let o = outputs.values.first else {
                throw ONNXBenchmark.BenchError("check_onnx.py failed on \(model) (\(s)): \(e.suffix(2000))")
            }
            let (parameters, flops) = try cost(model)
            return Row(fixture: fixture, label: label, seconds: seconds, bytes: obj["candidate_bytes"] as? Int ?? 0, parameters: parameters,
                       flops: flops, cosMean: o["cosine_mean"] as? Double ?? .nan, cosMin: o["cosine_min"] as? Double ?? .nan, note: note)
        }

        var rows: [Row] = []
        for fixture in fixtures {
            rows.append(try measure(fixture, "\(dir)/models/\(fixture).onnx", label: "float (source)", seconds: 0, note: ""))
            for (i, (label, passes)) in configurations(fixture).enumerated() {
                if let only, !only.contains(where: { label.contains($0) }) { continue }
                let recipe = "\(fixture)-\(i)"
                try """
                recipe: \(recipe)
                model: { path: ../models/\(fixture).onnx }
                data:
                  calibration: { path: ../models/\(fixture).calib.npz, samples: 32 }
                targets: [\(target)]
                passes:
                \(passes)
                """.write(toFile: "\(dir)/recipes/\(recipe).yaml", atomically: true, encoding: .utf8)
                var secs: [Double] = [], note = ""
                var failed: String?
                for k in 0..<repeats {
                    let cache = "\(dir)/out/cache-\(recipe)-\(k)", dist = "\(dir)/out/dist-\(recipe)-\(k)"
                    try? fm.removeItem(atPath: cache)
                    try? fm.removeItem(atPath: dist)
                    let r: ONNXBenchmark.Run
                    do {
                        r = try ONNXBenchmark.timed([pare, "build", "recipes/\(recipe).yaml", "--targets", repo + "/targets",
                                                     "--cache", cache, "--dist", dist, "--json"], cwd: dir)
                    } catch {
                        failed = "\(error)"
                        break
                    }
                    guard let obj = try? JSONSerialization.jsonObject(with: Data(r.output.utf8)) as? [String: Any],
                          let steps = obj["steps"] as? [[String: Any]] else {
                        failed = "build failed"
                        break
                    }
                    secs.append(r.seconds)
                    if k == 0 {
                        note = steps.compactMap { s -> String? in
                            guard let rep = s["report"] as? [String: Any] else { return nil }
                            var parts = ["\(s["pass"] as? String ?? "?") \(String(format: "%.2f", s["seconds"] as? Double ?? 0)) s"]
                            if let ks = rep["kernelSeconds"] as? Double, let kf = rep["kernelFLOPs"] as? Double, ks > 0 {
                                parts.append(String(format: "kernels %.2f GFLOP/s", kf / ks / 1e9))
                            }
                            return parts.joined(separator: ", ")
                        }.joined(separator: "; ")
                    }
                }
                if let failed {
                    print("\(fixture) / \(label): \(failed)", to: &standardError)
                    continue
                }
                rows.append(try measure(fixture, "\(dir)/out/dist-\(recipe)-0/\(recipe)/\(target)/model.onnx", label: label,
                                        seconds: W8A8Benchmark.median(secs), note: note))
            }
        }
        print("Compression catalog on the fixtures (\(target), calibration 32 samples; cosine: ONNX Runtime vs float on 64 eval samples;")
        print("parameters / FLOPs: the bundle's model in the reference interpreter; build: wall time of `pare build`, fresh cache, median of \(repeats))")
        print("")
        print("| fixture | passes | size KB | parameters | FLOPs / sample | cosine mean | cosine min | build s | model-pass notes |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for r in rows {
            print("| \(r.fixture) | \(r.label) | " + String(format: "%.1f | %d | %d | %.5f | %.5f | %.2f | ", Double(r.bytes) / 1024, r.parameters, r.flops,
                                                         r.cosMean, r.cosMin, r.seconds) + r.note + " |")
        }
    }

    /// Parameters and FLOPs of an ONNX model on zeros shaped like its inputs. Parameters: the elements of the
    /// constant (weight-derived) operand of each Conv, Gemm, MatMul and Gather node as the node sees it (after any
    /// DequantizeLinear / look-up-table expansion; K·N for MatMulNBits), so encodings do not change the count.
    static func cost(_ path: String) throws -> (Int, Int) {
        let file = try ONNXFile(path: path)
        let interpreter = try Interpreter(file: file)
        var shapes: [String: [Int]] = [:]
        _ = try interpreter.run(ModelCost.synthetic(interpreter)) { name, t in shapes[name] = t.shape }
        for t in file.tensors { shapes[t.name] = t.shape.dims }
        let graph = file.model.graph
        var constant = Set(graph.initializer.map(\.name))
        for n in graph.node where !n.input.filter({ !$0.isEmpty }).isEmpty || n.opType == "Constant" {
            if n.input.allSatisfy({ $0.isEmpty || constant.contains($0) }) { constant.formUnion(n.output) }
        }
        var counted = Set<String>(), parameters = 0
        for n in graph.node {
            switch n.opType {
            case "MatMulNBits":
                let k = n.attribute.first { $0.name == "K" }?.i ?? 0, nn = n.attribute.first { $0.name == "N" }?.i ?? 0
                if counted.insert(n.input[1]).inserted { parameters += Int(k * nn) }
            case "Conv", "Gemm", "MatMul", "Gather", "ConvInteger", "MatMulInteger":
                let operands = n.opType == "Gather" ? [n.input[0]] : Array(n.input.prefix(2))
                for w in operands where constant.contains(w) && counted.insert(w).inserted { parameters += shapes[w]?.reduce(1, *) ?? 0 }
            default:
                continue
            }
        }
        return (parameters, ModelCost.flops(graph, shapes: shapes).values.reduce(0, +))
    }
}

var standardError = FileHandle.standardError
extension FileHandle: @retroactive TextOutputStream {
    public func write(_ string: String) { write(Data(string.utf8)) }
}
