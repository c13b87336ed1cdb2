import Foundation

/// pare's W8A8 (default `activations: {}` settings, qualcomm-hexagon-v73) against ONNX Runtime's
/// `quantize_static` (QDQ, MinMax, uint8 activations, int8 per-channel weights; scripts/bench_ort_quantize_static.py)
/// on the opset-17 fixture CNN and transformer, calibrated on the same 64 samples (`<name>.calib.npz`).
/// Each tool runs as its own process under GNU time, `--repeats` times (pare with a fresh cache each time), and
/// the medians of wall time and peak RSS are reported. Both outputs are measured the same way by
/// scripts/check_onnx.py in ONNX Runtime against the float model on the 64 samples of `<name>.eval.npz`.
///
///     pare-bench w8a8 [--repeats N] [--methods minmax,percentile,...] [--fixtures cnn,transformer] [--keep DIR]
///
/// `--methods` adds a row per listed `activations.method` other than the default (for analysis; the default row
/// is always the first pare row). `--keep DIR` writes the fixtures, recipes and outputs under DIR and keeps them.
enum W8A8Benchmark {
    static let target = "qualcomm-hexagon-v73"

    struct Quality { var cosMean, cosMin, sqnr, top1: Double; var accuracy, floatAccuracy: Double?; var bytes: Int }
    struct Row { var fixture, tool: String; var seconds, peakMB: Double; var q: Quality; var detail: String }

    static func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    static func value(_ arguments: [String], _ flag: String) -> String? {
        arguments.firstIndex(of: flag).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
    }

    /// A work folder (`keep`, or a fresh temporary one) with models/ (the opset-17 fixtures and their data sets, from
    /// scripts/onnx_fixtures.py), recipes/ and out/. The caller removes it unless it was `keep`.
    static func workFolder(keep: String?, label: String, fixtures: [String], python: String) throws -> String {
        let dir = keep ?? (NSTemporaryDirectory() + "pare-bench-\(label)-" + UUID().uuidString)
        for sub in ["models", "recipes", "out"] { try FileManager.default.createDirectory(atPath: dir + "/" + sub, withIntermediateDirectories: true) }
        let (status, _, err) = try ONNXBenchmark.shell([python, ONNXBenchmark.repo + "/scripts/onnx_fixtures.py", dir + "/models", "--opset", "17",
                                                        "--only", fixtures.joined(separator: ","), "--no-verify"])
        guard status == 0 else { throw ONNXBenchmark.BenchError("onnx_fixtures.py failed: \(err)") }
        return dir
    }

    static func run(arguments: [String]) throws {
        let repo = ONNXBenchmark.repo
        let repeats = value(arguments, "--repeats").flatMap(Int.init) ?? 3
        guard repeats >= 1 else { throw ONNXBenchmark.BenchError("--repeats must be at least 1") }
        let methods = (value(arguments, "--methods")?.split(separator: ",").map(String.init) ?? []).filter { $0 != "mse" }
        let fixtures = value(arguments, "--fixtures")?.split(separator: ",").map(String.init) ?? ["cnn", "transformer"]
        let venv = ProcessInfo.processInfo.environment["PARE_VENV"] ?? repo + "/.venv"
        let python = venv + "/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw ONNXBenchmark.BenchError("\(python) is missing: run scripts/setup-venv.sh first (or set PARE_VENV)")
        }
        let pare = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("pare").path
        guard FileManager.default.isExecutableFile(atPath: pare) else {
            throw ONNXBenchmark.BenchError("\(pare) is missing: swift build -c release --product pare")
        }
        let keep = value(arguments, "--keep")
        let dir = try workFolder(keep: keep, label: "w8a8", fixtures: fixtures, python: python)
        let fm = FileManager.default
        defer { if keep == nil { try? fm.removeItem(atPath: dir) } }

        func quality(_ name: String, _ candidate: String) throws -> Quality {
            let (s, out, e) = try ONNXBenchmark.shell([python, repo + "/scripts/check_onnx.py", "--reference", "\(dir)/models/\(name).onnx",
                                                      "--candidate", candidate, "--inputs", "\(dir)/models/\(name).eval.npz", "--json"])
            guard s == 0, let obj = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any],
                  let outputs = obj["outputs"] as? [String: [String: Any]], let o = outputs.values.first else {
                throw ONNXBenchmark.BenchError("check_onnx.py failed on \(candidate) (\(s)): \(e.suffix(2000))")
            }
            let labels = obj["labels"] as? [String: Any]
            return Quality(cosMean: o["cosine_mean"] as? Double ?? .nan, cosMin: o["cosine_min"] as? Double ?? .nan,
                           sqnr: o["sqnr_db"] as? Double ?? .nan, top1: o["top1_agreement"] as? Double ?? .nan,
                           accuracy: labels?["candidate_accuracy"] as? Double, floatAccuracy: labels?["reference_accuracy"] as? Double,
                           bytes: obj["candidate_bytes"] as? Int ?? 0)
        }

        /// `pare build` of a W8A8 recipe, `repeats` times with a fresh cache and dist folder each time.
        func pareRows(_ name: String, method: String?) throws -> Row {
            let recipe = "w8a8-\(name)" + (method.map { "-" + $0 } ?? "")
            let activations = method.map { "{ method: \($0) }" } ?? "{}"
            try """
            recipe: \(recipe)
            model: { path: ../models/\(name).onnx }
            data:
              calibration: { path: ../models/\(name).calib.npz }
            targets: [\(target)]
            passes:
              - quantize: { activations: \(activations) }
            """.write(toFile: "\(dir)/recipes/\(recipe).yaml", atomically: true, encoding: .utf8)
            var secs: [Double] = [], peaks: [Double] = [], steps = ""
            for i in 0..<repeats {
                let cache = "\(dir)/out/cache-\(recipe)-\(i)", dist = "\(dir)/out/dist-\(recipe)-\(i)"
                try? fm.removeItem(atPath: cache)
                try? fm.removeItem(atPath: dist)
                let r = try ONNXBenchmark.timed([pare, "build", "recipes/\(recipe).yaml", "--targets", repo + "/targets",
                                                 "--cache", cache, "--dist", dist, "--json"], cwd: dir)
                secs.append(r.seconds)
                peaks.append(r.peakMB)
                if i == 0, let obj = try? JSONSerialization.jsonObject(with: Data(r.output.utf8)) as? [String: Any],
                   let st = obj["steps"] as? [[String: Any]] {
                    steps = st.map { "\($0["pass"] as? String ?? "?") \(String(format: "%.2f", $0["seconds"] as? Double ?? 0))" }
                        .joined(separator: ", ")
                }
            }
            let q = try quality(name, "\(dir)/out/dist-\(recipe)-0/\(recipe)/\(target)/model.onnx")
            return Row(fixture: name, tool: "pare W8A8 " + (method.map { "method: \($0)" } ?? "(defaults)"),
                       seconds: median(secs), peakMB: median(peaks), q: q,
                       detail: "wall " + secs.map { String(format: "%.2f", $0) }.joined(separator: "/") + " s; steps (s): " + steps)
        }

        func ortRow(_ name: String) throws -> Row {
            var secs: [Double] = [], peaks: [Double] = [], detail = ""
            for i in 0..<repeats {
                let out = "\(dir)/out/ort-\(name)-\(i).onnx"
                let r = try ONNXBenchmark.timed([python, repo + "/scripts/bench_ort_quantize_static.py", "\(dir)/models/\(name).onnx",
                                                 "\(dir)/models/\(name).calib.npz", out])
                secs.append(r.seconds)
                peaks.append(r.peakMB)
                if i == 0, let obj = try? JSONSerialization.jsonObject(with: Data(r.output.utf8)) as? [String: Any] {
                    detail = String(format: "in-process: quant_pre_process %.2f s + quantize_static %.2f s",
                                    obj["preprocess_seconds"] as? Double ?? 0, obj["quantize_seconds"] as? Double ?? 0)
                }
            }
            return Row(fixture: name, tool: "ORT quantize_static (QDQ, MinMax)", seconds: median(secs), peakMB: median(peaks),
                       q: try quality(name, "\(dir)/out/ort-\(name)-0.onnx"),
                       detail: "wall " + secs.map { String(format: "%.2f", $0) }.joined(separator: "/") + " s; " + detail)
        }

        var rows: [Row] = []
        for name in fixtures {
            // Interleave the tools so that load on the shared machine hits both alike.
            let p = try pareRows(name, method: nil)
            let o = try ortRow(name)
            rows += [p, o]
            for m in methods { rows.append(try pareRows(name, method: m)) }
        }

        print("W8A8: pare (activations: {} → defaults, \(target)) vs onnxruntime quantize_static (QDQ, MinMax, U8 activations, S8 per-channel weights)")
        print("calibration: 64 samples (<name>.calib.npz); quality: ONNX Runtime vs the float model on 64 samples (<name>.eval.npz); "
              + "wall time and peak RSS: GNU time, median of \(repeats)")
        print("")
        print("| fixture | tool | wall s | peak RSS MB | size KB | cosine mean | cosine min | SQNR dB | top-1 | label acc. (float) |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for r in rows {
            let acc = r.q.accuracy.map { String(format: "%.3f", $0) } ?? "–"
            let facc = r.q.floatAccuracy.map { String(format: " (%.3f)", $0) } ?? ""
            print("| \(r.fixture) | \(r.tool) | " + String(format: "%.2f | %.0f | %.1f | %.5f | %.5f | %.1f | %.3f | ", r.seconds, r.peakMB,
                                                         Double(r.q.bytes) / 1024, r.q.cosMean, r.q.cosMin, r.q.sqnr, r.q.top1) + acc + facc + " |")
        }
        print("")
        for name in fixtures {
            guard let p = rows.first(where: { $0.fixture == name && $0.tool.hasPrefix("pare") }),
                  let o = rows.first(where: { $0.fixture == name && $0.tool.hasPrefix("ORT") }) else { continue }
            print("\(name): speed-up ORT/pare \(String(format: "%.1f", o.seconds / p.seconds))× (floor 3×: \(o.seconds / p.seconds >= 3 ? "PASS" : "FAIL")); "
                  + "cosine pare \(String(format: "%.5f", p.q.cosMean)) vs ORT \(String(format: "%.5f", o.q.cosMean)) "
                  + "(floor pare higher: \(p.q.cosMean > o.q.cosMean ? "PASS" : "FAIL"))")
        }
        print("")
        for r in rows { print("\(r.fixture), \(r.tool): \(r.detail)") }
    }
}
