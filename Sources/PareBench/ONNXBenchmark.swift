import Foundation

/// pare against ONNX Runtime's own quantizers on a ~90 MB fp32 transformer (int8 per-channel weights; with `--int4`
/// also int4 per-group 32 MatMul weights against MatMulNBitsQuantizer), and
/// loading + writing a ~500 MB ONNX model. Each command runs as its own process under GNU time (wall time and
/// peak RSS); output quality is measured by scripts/check_onnx.py in ONNX Runtime.
enum ONNXBenchmark {
    struct Run { var seconds: Double; var peakMB: Double; var output: String }

    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static func shell(_ args: [String], cwd: String? = nil) throws -> (Int32, String, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: args[0])
        p.arguments = Array(args.dropFirst())
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// Runs a command under `/usr/bin/time -f "%e %M"` (Debian package `time`).
    static func timed(_ args: [String], cwd: String? = nil) throws -> Run {
        let (status, out, err) = try shell(["/usr/bin/time", "-f", "PARETIME %e %M"] + args, cwd: cwd)
        guard status == 0, let line = err.split(separator: "\n").last(where: { $0.hasPrefix("PARETIME") }) else {
            throw BenchError("\(args.joined(separator: " ")) failed (\(status)): \(err.suffix(2000))")
        }
        let parts = line.split(separator: " ")
        return Run(seconds: Double(parts[1])!, peakMB: Double(parts[2])! / 1024, output: out)
    }

    struct BenchError: Error, CustomStringConvertible { var description: String; init(_ s: String) { description = s } }

    static func run(arguments: [String]) throws {
        let python = repo + "/.venv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else { throw BenchError("run scripts/setup-venv.sh first") }
        let pare = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("pare").path
        let dir = NSTemporaryDirectory() + "pare-bench-onnx-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/models", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let huge = arguments.contains("--huge")
        _ = try shell([python, repo + "/scripts/onnx_fixtures.py", dir + "/models", "--only", huge ? "big-transformer,huge-transformer" : "big-transformer", "--no-verify"])

        // 1. int8 per-channel weight-only: pare vs quantize_dynamic(per_channel=True).
        let big = dir + "/models/big-transformer.onnx"
        let mb = Double(try FileManager.default.attributesOfItem(atPath: big)[.size] as! Int) / 1e6
        try """
        recipe: big
        model: { path: models/big-transformer.onnx }
        targets: [x86-64-avx2]
        passes:
          - quantize: { weights: { dtype: int8, granularity: per-channel } }
        """.write(toFile: dir + "/big.yaml", atomically: true, encoding: .utf8)
        let build = ["build", "big.yaml", "--targets", repo + "/targets", "--cache", "cache", "--dist", "dist", "--json"]
        let pareRun = try timed([pare] + build, cwd: dir)
        let noop = try timed([pare] + build, cwd: dir)
        let ortRun = try timed([python, repo + "/scripts/bench_ort_quantize.py", big, dir + "/ort.onnx", "--per-channel"])
        func quality(_ candidate: String) throws -> String {
            let (_, out, _) = try shell([python, repo + "/scripts/check_onnx.py", "--reference", big, "--candidate", candidate, "--seed", "1", "--samples", "4", "--json"])
            guard let obj = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any],
                  let outputs = obj["outputs"] as? [String: [String: Any]], let o = outputs.values.first else { return "?" }
            let bytes = obj["candidate_bytes"] as? Int ?? 0
            return String(format: "cosine %.5f, SQNR %.1f dB, %.1f MB", o["cosine_mean"] as? Double ?? 0, o["sqnr_db"] as? Double ?? 0, Double(bytes) / 1e6)
        }
        print(String(format: "model: big-transformer.onnx, %.1f MB float32; 2 cores", mb))
        print("| tool | wall time | peak RSS | RSS / model | output |")
        print("| --- | --- | --- | --- | --- |")
        print(String(format: "| pare build (cold cache, int8 per-channel) | %.2f s | %.0f MB | %.2f× | ", pareRun.seconds, pareRun.peakMB, pareRun.peakMB / mb) + (try quality(dir + "/dist/big/x86-64-avx2/model.onnx")) + " |")
        print(String(format: "| pare build (no-op rebuild) | %.2f s | %.0f MB | %.2f× | |", noop.seconds, noop.peakMB, noop.peakMB / mb))
        print(String(format: "| onnxruntime quantize_dynamic(per_channel=True) | %.2f s | %.0f MB | %.2f× | ", ortRun.seconds, ortRun.peakMB, ortRun.peakMB / mb) + (try quality(dir + "/ort.onnx")) + " |")
        print(String(format: "speed-up: %.1f×", ortRun.seconds / pareRun.seconds))

        // 2. int4 per-group 32 on the MatMul weights (embeddings stay float): pare minmax and fit: mse vs
        //    onnxruntime's MatMulNBitsQuantizer (round to nearest, asymmetric, block 32).
        if arguments.contains("--int4") {
            print("")
            print("int4 per-group 32 asymmetric, MatMul weights only (MatMulNBits), big-transformer.onnx")
            print("| tool | wall time | peak RSS | output |")
            print("| --- | --- | --- | --- |")
            for fit in ["minmax", "mse"] {
                try """
                recipe: int4-\(fit)
                model: { path: models/big-transformer.onnx }
                targets: [x86-64-avx2]
                passes:
                  - quantize:
                      exclude: ["*embed*"]
                      weights: { dtype: int4, granularity: per-group, group: 32, symmetric: false, fit: \(fit) }
                """.write(toFile: dir + "/int4-\(fit).yaml", atomically: true, encoding: .utf8)
                let r = try timed([pare, "build", "int4-\(fit).yaml", "--targets", repo + "/targets", "--cache", "cache-\(fit)",
                                   "--dist", "dist", "--json"], cwd: dir)
                print(String(format: "| pare build (cold cache, fit: %@) | %.2f s | %.0f MB | ", fit, r.seconds, r.peakMB)
                      + (try quality(dir + "/dist/int4-\(fit)/x86-64-avx2/model.onnx")) + " |")
            }
            let ort4 = try timed([python, repo + "/scripts/bench_ort_quantize.py", big, dir + "/ort4.onnx", "--int4", "--block-size", "32"])
            print(String(format: "| onnxruntime MatMulNBitsQuantizer (default, block 32, asymmetric) | %.2f s | %.0f MB | ", ort4.seconds, ort4.peakMB)
                  + (try quality(dir + "/ort4.onnx")) + " |")
        }

        // 3. Loading and writing a ~500 MB model (a pass that selects nothing: import + bundle only).
        if huge {
            let h = dir + "/models/huge-transformer.onnx"
            let hmb = Double(try FileManager.default.attributesOfItem(atPath: h)[.size] as! Int) / 1e6
            try """
            recipe: huge
            model: { path: models/huge-transformer.onnx }
            targets: [x86-64-avx2]
            passes:
              - quantize: { include: ["nothing-matches-this"] }
            """.write(toFile: dir + "/huge.yaml", atomically: true, encoding: .utf8)
            let inspect = try timed([pare, "inspect", h, "--json"], cwd: dir)
            let copy = try timed([pare, "build", "huge.yaml", "--targets", repo + "/targets", "--cache", "cache", "--dist", "dist", "--json"], cwd: dir)
            print(String(format: "huge-transformer.onnx %.0f MB: pare inspect (read + index, all weights scanned for sparsity) %.2f s, peak %.0f MB; pare build (import to cache + write bundle + tar) %.2f s, peak %.0f MB", hmb, inspect.seconds, inspect.peakMB, copy.seconds, copy.peakMB))
        }
    }
}
