import Foundation
import Testing
import PareBasics
import PareBuild
import ParePasses

/// The `distill` pass (layer-wise reconstruction against the imported model) after `prune 2:4` and `lowrank` on the
/// fixture transformer: every refitted layer's error drops, the bundle's ORT cosine beats the same recipe without
/// distill, pruned weights stay zero, and the result does not depend on --jobs.
@Suite(.serialized) struct DistillTests {
    static func recipe(_ passes: String, fixture: String = "transformer") -> String {
        """
        recipe: onnx
        model: { path: models/\(fixture).onnx }
        data:
          calibration: { path: models/\(fixture).calib.npz, samples: 32 }
        targets: [x86-64-avx2]
        passes:
        \(passes)

        """
    }

    static func cosine(_ ws: Workspace, fixture: String = "transformer") throws -> Double {
        let check = try ONNXBuildTests.check(reference: ws.dir + "/models/\(fixture).onnx", candidate: ws.distDir + "/onnx/x86-64-avx2/model.onnx")
        #expect(check.checker)
        return check.outputs["logits"]!.cosine_mean
    }

    static func distillReport(_ ws: Workspace) throws -> PassReport {
        let data = try Data(contentsOf: URL(fileURLWithPath: ws.distDir + "/onnx/x86-64-avx2/manifest.json"))
        return try #require(try JSONDecoder().decode(FoldTests.Manifest.self, from: data).passes.compactMap(\.report).first { $0.pass == "distill" })
    }

    /// Zeros of each 2-D initializer whose name contains `part`, in the bundle (external data loaded).
    static func zeros(_ ws: Workspace, part: String) throws -> [String: Int] {
        let (status, out, err) = try Workspace.python(["-c", """
        import onnx, json, numpy as np
        from onnx import numpy_helper as nh
        m = onnx.load("\(ws.distDir)/onnx/x86-64-avx2/model.onnx")
        print(json.dumps({i.name: int((nh.to_array(i) == 0).sum()) for i in m.graph.initializer if "\(part)" in i.name and len(i.dims) == 2}))
        """])
        #expect(status == 0, "\(err)")
        return try JSONDecoder().decode([String: Int].self, from: Data(out.utf8))
    }

    @Test(arguments: [
        // (fixture, passes before distill, layers refitted)
        ("transformer", "  - prune: { pattern: \"2:4\", include: [\"*mlp*\"] }", 3),   // fc1, fc2 and lm_head (its input changed)
        ("transformer", "  - lowrank: { rank: 16, exclude: [\"embed*\"] }", 7),
        // Tucker-2 convs (their last 1×1 conv, through im2col) and the Gemm pair.
        ("cnn", "  - lowrank: { ratio: 0.5 }", 3),
        // After fold the convs carry the teacher's BatchNormalization output names: still matched.
        ("cnn", "  - fold\n  - lowrank: { ratio: 0.5 }", 3),
        // Quantized layers: per-channel scale and bias correction.
        ("cnn", "  - quantize: { weights: { dtype: int4, granularity: per-channel, symmetric: false } }", 3),
        // Channel pruning narrows the producers' outputs (fc1; conv1 and conv2): those are not matched, their
        // consumers are re-fitted (fc2 and lm_head; the classifier Gemm).
        ("transformer", "  - prune: { structure: channels, sparsity: 0.25 }", 2),
        ("cnn", "  - fold\n  - prune: { structure: channels, sparsity: 0.25 }", 1),
    ])
    func distillReducesEveryLayersErrorAndImprovesTheBundle(fixture: String, compress: String, refitted: Int) throws {
        let plain = try CalibrationBuildTests.workspace(Self.recipe(compress, fixture: fixture))
        try plain.build()
        let ws = try CalibrationBuildTests.workspace(Self.recipe(compress + "\n  - distill", fixture: fixture))
        try ws.build()
        let report = try Self.distillReport(ws)
        let fitted = report.layers.filter { !$0.action.hasPrefix("kept") }
        print("distill after \(fixture) \(compress): \(report.summary) \(report.notes) \(report.layers.map { "\($0.layer) \($0.errorBefore!) → \($0.errorAfter!)" })")
        #expect(fitted.count == refitted, "\(report.layers.map(\.action))")
        for r in fitted { #expect(try #require(r.errorAfter) < #require(r.errorBefore), "\(r)") }
        let before = try Self.cosine(plain, fixture: fixture), after = try Self.cosine(ws, fixture: fixture)
        print("distill cosine \(before) → \(after)")
        #expect(after > before)
        // Least-squares throughput (the quantized path's closed-form per-channel fit is not timed).
        // The manifest keeps the work, not the wall time (equal builds give equal manifests).
        if !compress.contains("quantize") { #expect((report.kernelFLOPs ?? 0) > 0 && report.kernelSeconds == nil) }
        if compress.contains("2:4") {
            // The mask survives: exactly the zeros the pruned bundle has (half of each MLP matrix).
            let z0 = try Self.zeros(plain, part: "mlp"), z1 = try Self.zeros(ws, part: "mlp")
            #expect(z1 == z0 && z1.values.allSatisfy { $0 == 8192 }, "\(z0) \(z1)")
        }
    }

    @Test func deterministicAcrossJobs() throws {
        let passes = "  - lowrank: { ratio: 0.25 }\n  - distill"
        let a = try CalibrationBuildTests.workspace(Self.recipe(passes))
        try a.build(jobs: 1)
        let b = try CalibrationBuildTests.workspace(Self.recipe(passes))
        try b.build(jobs: 3)
        let x = try Data(contentsOf: URL(fileURLWithPath: a.distDir + "/onnx/x86-64-avx2/model.onnx"))
        let y = try Data(contentsOf: URL(fileURLWithPath: b.distDir + "/onnx/x86-64-avx2/model.onnx"))
        #expect(x == y)
        // The report rows (in the manifest) come in the same order whatever the number of threads.
        let mx = try Data(contentsOf: URL(fileURLWithPath: a.distDir + "/onnx/x86-64-avx2/manifest.json"))
        let my = try Data(contentsOf: URL(fileURLWithPath: b.distDir + "/onnx/x86-64-avx2/manifest.json"))
        #expect(mx == my)
    }

    @Test func needsCalibrationData() throws {
        let ws = try CalibrationBuildTests.workspace(ONNXBuildTests.recipe(model: "models/transformer.onnx", targets: "x86-64-avx2",
                                                                           passes: "  - lowrank: { ratio: 0.5 }\n  - distill"))
        #expect {
            try ws.build()
        } throws: { error in
            "\(error)".contains("'distill' re-fits layers to the original model's outputs on calibration data, but the recipe has no data.calibration")
        }
    }
}
