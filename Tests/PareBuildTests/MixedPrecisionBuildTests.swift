import Foundation
import Testing
import PareBasics
import PareBuild

/// `mixed-precision` on the fixture transformer (and CNN): budgets between all-4-bit and all-8-bit give a mix of widths
/// that fits, runs in onnxruntime and is at least as accurate as uniform int4; the chosen map is in the manifest.
@Suite(.serialized) struct MixedPrecisionBuildTests {
    static func recipe(_ pass: String, target: String = "x86-64-avx2", fixture: String = "transformer") -> String {
        """
        recipe: mixed
        model: { path: models/\(fixture).onnx }
        data:
          calibration: { path: models/\(fixture).calib.npz, samples: 32 }
        targets: [\(target)]
        passes:
          - \(pass)

        """
    }

    struct Result {
        var check: ONNXBuildTests.Check
        var layers: [[String: Any]]
        var notes: [String]
        var seconds: Double
        /// Model bytes as stored and chosen bits per weight, from the report's notes.
        var modelBytes: Int { Int(Self.match(notes, #"model (\d+) bytes"#))! }
        var bitsPerWeight: Double { Double(Self.match(notes, #"\(([0-9.]+) bits per weight"#))! }
        var actions: Set<String> { Set(layers.map { $0["action"] as! String }) }
        static func match(_ notes: [String], _ pattern: String) -> String {
            let re = try! NSRegularExpression(pattern: pattern)
            for n in notes {
                if let m = re.firstMatch(in: n, range: NSRange(n.startIndex..., in: n)) { return String(n[Range(m.range(at: 1), in: n)!]) }
            }
            return ""
        }
    }

    static func build(_ ws: Workspace, _ pass: String, fixture: String = "transformer") throws -> Result {
        try ws.writeRecipe(recipe(pass, fixture: fixture))
        let t0 = Date()
        let r = try ws.build(jobs: 1)
        let seconds = Date().timeIntervalSince(t0)
        let c = try ONNXBuildTests.check(reference: ws.dir + "/models/\(fixture).onnx", candidate: r.bundles[0].path + "/model.onnx")
        let manifest = try JSONSerialization.jsonObject(with: ws.read(r.bundles[0].path + "/manifest.json")) as! [String: Any]
        let passes = manifest["passes"] as! [[String: Any]]
        let report = passes.first { $0["pass"] as? String == "mixed-precision" }?["report"] as? [String: Any] ?? [:]
        return Result(check: c, layers: report["layers"] as? [[String: Any]] ?? [], notes: report["notes"] as? [String] ?? [], seconds: seconds)
    }

    static func cosine(_ c: ONNXBuildTests.Check) -> Double { c.outputs[c.outputs.keys.sorted()[0]]!.cosine_mean }

    @Test func sizeBudgetBetweenUniformWidths() throws {
        let ws = try CalibrationBuildTests.workspace("recipe: placeholder\n")
        // int4 per-group(32) is exactly 5 bits per weight (one float32 scale per 32): a budget of 5 forces all 4-bit;
        // an ample budget picks int8 for every weight (lower loss than int4).
        let all4 = try Self.build(ws, "mixed-precision: { candidates: [4, 8], bits_per_weight: 5, samples: 4 }")
        let all8 = try Self.build(ws, "mixed-precision: { candidates: [4, 8], max_size_mb: 100, samples: 4 }")
        #expect(all4.actions == ["int4 per-group(32)"] && all8.actions == ["int8 per-channel"])
        #expect(all4.modelBytes < all8.modelBytes)
        let uniform4 = try Self.build(ws, "quantize: { weights: { dtype: int4, granularity: per-group, group: 32 } }")
        for fraction in [0.3, 0.7] {
            let budget = Double(all4.modelBytes) + fraction * Double(all8.modelBytes - all4.modelBytes)
            let mb = String(format: "%.6f", budget / 1048576)
            let mixed = try Self.build(ws, "mixed-precision: { max_size_mb: \(mb), samples: 4 }")
            print("mixed-precision max_size_mb \(mb): model \(mixed.modelBytes) bytes (all-4 \(all4.modelBytes), all-8 \(all8.modelBytes)), bundle \(mixed.check.candidate_bytes), cosine \(Self.cosine(mixed.check)) vs uniform int4 \(Self.cosine(uniform4.check)), build s \(mixed.seconds), actions \(mixed.layers.map { "\($0["layer"]!)=\($0["action"]!)" })")
            #expect(mixed.check.checker)
            #expect(Double(mixed.modelBytes) <= budget)
            #expect(mixed.actions.count >= 2, "expected a mix of widths, got \(mixed.actions)")
            #expect(Self.cosine(mixed.check) >= Self.cosine(uniform4.check))
            // The chosen map: one row per selected weight with its width and predicted loss.
            #expect(mixed.layers.count == all4.layers.count)
            #expect(mixed.layers.allSatisfy { ($0["errorAfter"] as? Double).map { $0 >= 0 } ?? false })
        }
    }

    @Test func bitsPerWeightBudget() throws {
        let ws = try CalibrationBuildTests.workspace("recipe: placeholder\n")
        let mixed = try Self.build(ws, "mixed-precision: { bits_per_weight: 6, samples: 4 }")
        print("mixed-precision bits_per_weight 6: \(mixed.bitsPerWeight) bits, model \(mixed.modelBytes) bytes, cosine \(Self.cosine(mixed.check)), actions \(mixed.actions)")
        #expect(mixed.check.checker)
        #expect(mixed.bitsPerWeight <= 6)
        #expect(mixed.bitsPerWeight > 4.5)
        #expect(mixed.actions.count >= 2)
    }

    /// The CNN (conv1's rows of 27 take no group of 32: excluded): 6 bits per weight mixes int4 and int8 and beats
    /// uniform int4 per-group(32).
    @Test func cnnBitsPerWeightBudget() throws {
        let ws = try CalibrationBuildTests.workspace("recipe: placeholder\n")
        let mixed = try Self.build(ws, "mixed-precision: { bits_per_weight: 6, exclude: [conv1.weight], samples: 4 }", fixture: "cnn")
        let uniform4 = try Self.build(ws, "quantize: { weights: { dtype: int4, granularity: per-group, group: 32 }, exclude: [conv1.weight] }", fixture: "cnn")
        print("cnn mixed-precision bits_per_weight 6: \(mixed.bitsPerWeight) bits, cosine \(Self.cosine(mixed.check)) vs int4 \(Self.cosine(uniform4.check)), actions \(mixed.actions)")
        #expect(mixed.check.checker)
        #expect(mixed.bitsPerWeight <= 6 && mixed.bitsPerWeight > 4.5)
        #expect(mixed.actions.count >= 2)
        #expect(Self.cosine(mixed.check) >= Self.cosine(uniform4.check))
    }

    /// An ample budget keeps every weight at the lowest-loss width, float16 (the cast pass's record form).
    @Test func ampleBudgetChoosesFloat16() throws {
        let ws = try CalibrationBuildTests.workspace("recipe: placeholder\n")
        let mixed = try Self.build(ws, "mixed-precision: { max_size_mb: 100, samples: 4 }")
        print("mixed-precision max_size_mb 100: \(mixed.actions), cosine \(Self.cosine(mixed.check)), bundle \(mixed.check.candidate_bytes)")
        #expect(mixed.check.checker)
        #expect(mixed.actions == ["fp16"])
        #expect(Self.cosine(mixed.check) > 0.9999)
    }

    @Test func infeasibleBudgetNamesTheSmallestReachableSize() throws {
        let ws = try CalibrationBuildTests.workspace(Self.recipe("mixed-precision: { max_size_mb: 0.01 }"))
        do {
            _ = try ws.build()
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("smallest reachable size"), "\(error)")
            #expect("\(error)".contains("max_size_mb 0.0100"), "\(error)")
        }
    }
}
