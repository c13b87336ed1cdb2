import Foundation
import Testing
import PareBasics
import PareBuild

/// The calibrate and evaluate steps, gates and fallback, on the fixture CNN and transformer with their seeded
/// calibration and evaluation sets (scripts/onnx_fixtures.py).
@Suite(.serialized) struct CalibrationBuildTests {
    /// A workspace whose models/ holds the ONNX fixtures and their data sets.
    static func workspace(_ recipe: String) throws -> Workspace {
        let ws = try Workspace(recipe: recipe)
        let fx = try ONNXBuildTests.fixtures(opset: 17)
        for name in ["cnn.onnx", "cnn.calib.npz", "cnn.eval.npz", "transformer.onnx", "transformer.calib.npz", "transformer.eval.npz"] {
            try FileManager.default.copyItem(atPath: fx + "/" + name, toPath: ws.dir + "/models/" + name)
        }
        return ws
    }

    static func cnnRecipe(name: String = "w8a8", method: String = "mse", seed: Int = 1, gate: String = "0.99") -> String {
        """
        recipe: \(name)
        model: { path: models/cnn.onnx }
        data:
          calibration: { path: models/cnn.calib.npz, samples: 16, seed: \(seed) }
          evaluation: { path: models/cnn.eval.npz, samples: 32 }
        targets: [qualcomm-hexagon-v73, google-edgetpu, x86-64-avx2]
        passes:
          - quantize:
              weights: { dtype: int8, granularity: per-channel }
              activations: { method: \(method) }
        gates:
          cosine_mean: { min: \(gate) }
          size_mb: { max: 1 }
        per_target:
          x86-64-avx2:
            quantize: { activations: dynamic }

        """
    }

    @Test func calibrationIsOneSharedCachedStep() throws {
        let ws = try Self.workspace(Self.cnnRecipe())
        let plan = try ws.plan()
        #expect(plan.steps.map(\.id) == [
            "import", "calibrate-quantize@qualcomm-hexagon-v73+google-edgetpu", "quantize@qualcomm-hexagon-v73",
            "quantize@google-edgetpu", "quantize@x86-64-avx2", "evaluate@qualcomm-hexagon-v73", "bundle@qualcomm-hexagon-v73", "evaluate@google-edgetpu",
            "bundle@google-edgetpu", "evaluate@x86-64-avx2", "bundle@x86-64-avx2"])
        let first = try ws.build()
        #expect(first.executed == 11 && first.cached == 0)
        let again = try ws.build()
        #expect(again.executed == 0 && again.cached == 11)

        // Another recipe on the same model and data reuses the statistics: only its quantize steps and what follows run.
        try ws.writeRecipe(Self.cnnRecipe(name: "other", method: "minmax"))
        let other = try ws.build()
        #expect(other.status(of: "calibrate-quantize@qualcomm-hexagon-v73+google-edgetpu")?.status == .cached)
        #expect(other.executedIDs == ["bundle@google-edgetpu", "bundle@qualcomm-hexagon-v73", "bundle@x86-64-avx2",
                                      "evaluate@google-edgetpu", "evaluate@qualcomm-hexagon-v73",
                                      "quantize@google-edgetpu", "quantize@qualcomm-hexagon-v73"], "\(other.executedIDs)")

        // A different calibration subset re-runs calibration and the static chains; the dynamic target is untouched.
        try ws.writeRecipe(Self.cnnRecipe(seed: 2))
        let reseeded = try ws.build()
        #expect(reseeded.executedIDs == ["bundle@google-edgetpu", "bundle@qualcomm-hexagon-v73", "calibrate-quantize@qualcomm-hexagon-v73+google-edgetpu",
                                         "evaluate@google-edgetpu", "evaluate@qualcomm-hexagon-v73",
                                         "quantize@google-edgetpu", "quantize@qualcomm-hexagon-v73"], "\(reseeded.executedIDs)")
        #expect(reseeded.status(of: "quantize@x86-64-avx2")?.status == .cached)
    }

    struct Manifest: Decodable {
        struct Activations: Decodable {
            struct Q: Decodable { var name: String; var dtype: String; var scale: Float; var zeroPoint: Int32 }
            var mode: String
            var quantized: [Q]
            var kept: [String: String]
        }
        var activations: Activations?
        var evaluation: EvaluationReport?
    }

    static func manifest(_ path: String) throws -> Manifest {
        try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: path + "/manifest.json")))
    }

    @Test(arguments: [1, 3])
    func bundlesAreByteIdenticalWhateverJobs(jobs: Int) throws {
        let ws = try Self.workspace(Self.cnnRecipe())
        let one = try ws.build(jobs: 1, cache: ws.dir + "/cache-a", dist: ws.dir + "/dist-a")
        let other = try ws.build(jobs: jobs, cache: ws.dir + "/cache-b", dist: ws.dir + "/dist-b")
        #expect(one.bundles.map(\.sha256) == other.bundles.map(\.sha256))
        #expect(one.bundles.count == 3 && one.bundles.allSatisfy { $0.evaluation?.passed == true })
    }

    @Test func manifestsRecordActivationsMetricsAndGates() throws {
        let ws = try Self.workspace(Self.cnnRecipe())
        let report = try ws.build()
        #expect(report.gateFailures.isEmpty)
        let hexagon = try Self.manifest(ws.distDir + "/w8a8/qualcomm-hexagon-v73")
        let a = try #require(hexagon.activations)
        #expect(a.mode == "static" && a.quantized.count >= 6)
        // Conv → BatchNormalization and Conv/BN → Relu/Clip outputs are fused away at deployment: not quantized.
        #expect(a.kept.filter { $0.value.hasPrefix("fused") }.count == 4, "\(a.kept)")
        // Hexagon runs uint16: the model output (fragile) is uint16, everything else uint8 (asymmetric, scale > 0).
        #expect(a.quantized.filter { $0.dtype == "uint16" }.map(\.name) == ["logits"], "\(a.quantized.map { ($0.name, $0.dtype) })")
        #expect(a.quantized.allSatisfy { $0.scale > 0 && $0.scale.isFinite && (0...65535).contains($0.zeroPoint) })
        // The Edge TPU runs only 8-bit: nothing but fused values is left in float.
        let edge = try Self.manifest(ws.distDir + "/w8a8/google-edgetpu")
        #expect(edge.activations?.kept.values.allSatisfy { $0.hasPrefix("fused") } == true
                && edge.activations?.quantized.allSatisfy { $0.dtype == "uint8" } == true)
        let x86 = try Self.manifest(ws.distDir + "/w8a8/x86-64-avx2")
        #expect(x86.activations?.mode == "dynamic")
        for m in [hexagon, edge, x86] {
            let e = try #require(m.evaluation)
            #expect(e.passed && e.gates.count == 2 && e.metrics.samples == 32)
            #expect((e.metrics.cosineMean ?? 0) >= 0.99 && e.metrics.sizeMB < e.metrics.floatSizeMB)
            #expect(e.metrics.accuracy != nil && e.metrics.floatAccuracy != nil && e.metrics.top1Agreement != nil)
        }
    }

    @Test func failingGatesExitOneAndKeepThePassingBundle() throws {
        let ws = try Self.workspace(Self.cnnRecipe())
        let args = [Workspace.pareBinary, "build", "recipe.yaml", "--targets", Workspace.targetsDir, "--cache", ws.cacheDir, "--dist", "dist", "--target", "google-edgetpu"]
        var (status, _, err) = try Workspace.run(args, cwd: ws.dir)
        #expect(status == 0, "\(err)")
        let passing = ws.distDir + "/w8a8/google-edgetpu/model.onnx"
        let before = ws.read(passing)
        #expect(!before.isEmpty)

        try ws.writeRecipe(Self.cnnRecipe(gate: "0.999999"))
        (status, _, err) = try Workspace.run(args, cwd: ws.dir)
        #expect(status == 1)
        #expect(err.contains("gates failed for recipe 'w8a8'") && err.contains("cosine_mean") && err.contains("≥ 0.999999"), "\(err)")
        #expect(err.contains("dist/w8a8/google-edgetpu.gate-failed"))
        let failed = try Self.manifest(ws.distDir + "/w8a8/google-edgetpu.gate-failed")
        #expect(failed.evaluation?.passed == false && failed.evaluation?.gates.first { $0.metric == "cosine_mean" }?.passed == false)
        #expect(ws.read(passing) == before, "a failing build must not replace the passing bundle")

        // Passing again removes the failing folder.
        try ws.writeRecipe(Self.cnnRecipe())
        (status, _, err) = try Workspace.run(args, cwd: ws.dir)
        #expect(status == 0, "\(err)")
        #expect(!FileManager.default.fileExists(atPath: ws.distDir + "/w8a8/google-edgetpu.gate-failed"))
    }

    @Test func fallbackKeepsSensitiveLayersUntilGatesPass() throws {
        let ws = try Self.workspace("""
            recipe: fb
            model: { path: models/transformer.onnx }
            data:
              calibration: { path: models/transformer.calib.npz, samples: 16 }
              evaluation: { path: models/transformer.eval.npz, samples: 16 }
            targets: [x86-64-avx2]
            passes:
              - quantize:
                  weights: { dtype: int4, granularity: per-group, group: 32 }
                  activations: { method: mse }
                  fallback: { max_layers: 9 }
            gates:
              cosine_mean: { min: 0.995 }

            """)
        let report = try ws.build()
        let e = try #require(report.bundles.first?.evaluation)
        #expect(e.passed, "\(e.gates)")
        let sensitivity = try #require(e.sensitivity)
        #expect(sensitivity.count == 9)
        #expect(zip(sensitivity, sensitivity.dropFirst()).allSatisfy { $0.sqnrDB <= $1.sqnrDB })
        let fallback = try #require(e.fallback)
        #expect(!fallback.isEmpty && fallback.count <= 9)
        #expect(fallback[0].layer == sensitivity[0].layer && fallback[0].reason.contains("sensitivity rank 1 of 9"))
        #expect(fallback.last!.cosineMeanAfter >= 0.995)
        // The bundle holds the fallen-back model: its first fallback weight is no longer int4.
        #expect(report.bundles[0].path.hasSuffix("/fb/x86-64-avx2"))
    }

    @Test func sensitivityTableWithoutGates() throws {
        let ws = try Self.workspace("""
            recipe: sens
            model: { path: models/cnn.onnx }
            data:
              calibration: { path: models/cnn.calib.npz, samples: 16 }
              evaluation: { path: models/cnn.eval.npz, samples: 16 }
            targets: [qualcomm-hexagon-v73]
            passes:
              - quantize: { activations: {}, fallback: { max_layers: 0 } }

            """)
        let report = try ws.build()
        let e = try #require(report.bundles.first?.evaluation)
        #expect(e.passed && e.gates.isEmpty && e.fallback == [])
        // conv1, conv2, fc: one row each, most sensitive first.
        let rows = try #require(e.sensitivity)
        #expect(rows.count == 3 && zip(rows, rows.dropFirst()).allSatisfy { $0.sqnrDB <= $1.sqnrDB }, "\(rows)")
        #expect(rows.allSatisfy { $0.cosineMean > 0.99 && $0.cosineMean <= 1 })
    }

    @Test func badDataIsAPlanTimeError() throws {
        // Transformer data for the CNN; samples beyond the set; an accuracy gate on a set without labels.
        let ws = try Self.workspace("""
            recipe: bad
            model: { path: models/cnn.onnx }
            data:
              calibration: { path: models/transformer.calib.npz }
              evaluation: { path: models/cnn.calib.npz, samples: 100 }
            targets: [google-edgetpu]
            passes:
              - quantize: { activations: { method: minmax } }
            gates:
              accuracy: { min: 0.5 }

            """)
        #expect(throws: DiagnosticError.self) { try ws.plan() }
        do { _ = try ws.plan() } catch let e as DiagnosticError {
            let text = e.diagnostics.map(\.description)
            #expect(text.contains { $0.contains("recipe.yaml:4:24") && $0.contains("no data for model input 'input'") }, "\(text)")
            #expect(text.contains { $0.contains("recipe.yaml:4:24") && $0.contains("'input_ids' is not an input of the model") }, "\(text)")
            #expect(text.contains { $0.contains("recipe.yaml:5:23") && $0.contains("asks for 100 samples but models/cnn.calib.npz has 64") }, "\(text)")
            #expect(text.contains { $0.contains("recipe.yaml:10:3") && $0.contains("gate 'accuracy' needs labels") }, "\(text)")
        }
    }

    @Test func nonFiniteDataIsNamed() throws {
        let ws = try Self.workspace(Self.cnnRecipe())
        // Rewrite sample 3 of the calibration set with a NaN (numpy, so the file is a genuine .npz).
        let path = ws.dir + "/models/cnn.calib.npz"
        let (status, _, err) = try Workspace.python(["-c", """
            import numpy as np
            d = dict(np.load('\(path)'))
            d['0003.input'][0, 1, 2, 3] = np.nan
            np.savez('\(path)', **d)
            """])
        #expect(status == 0, "\(err)")
        try ws.writeRecipe(Self.cnnRecipe().replacingOccurrences(of: "samples: 16, seed: 1", with: "seed: 1"))
        #expect { try ws.build() } throws: { e in
            let text = "\(e)"
            return text.contains("sample 3, input 'input' has a non-finite value (nan)") && text.contains("cnn.calib.npz")
        }
    }
}
