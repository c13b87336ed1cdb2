import Foundation
import Testing
import PareBasics
import PareBuild
import ParePasses

/// The `lowrank` pass on the fixture CNN (Tucker-2 convs, factorized Gemm) and transformer (factorized MatMuls):
/// the bundle runs in ONNX Runtime, the manifest report shows parameters and FLOPs dropping, and layers where a
/// factorization would not pay are kept.
@Suite(.serialized) struct LowRankTests {
    static func build(_ fixture: String, _ passes: String) throws -> (Workspace, PassReport, ONNXBuildTests.Check) {
        let ws = try CalibrationBuildTests.workspace(ONNXBuildTests.recipe(model: "models/\(fixture).onnx", targets: "x86-64-avx2", passes: passes))
        try ws.build()
        let report = try #require(try FoldTests.report(ws))
        let check = try ONNXBuildTests.check(reference: ws.dir + "/models/\(fixture).onnx", candidate: ws.distDir + "/onnx/x86-64-avx2/model.onnx")
        return (ws, report, check)
    }

    @Test(arguments: [
        // (fixture, passes, layers factorized, layers kept, cosine floor, op counts)
        // Cosine floors measured (random-weight fixtures lose much at these ranks: energy kept 0.04–0.8).
        ("cnn", "  - lowrank: { rank: 3 }", 3, 0, -0.45, ["Conv": 6, "MatMul": 1, "Gemm": 1]),
        ("cnn", "  - lowrank: { ratio: 0.5 }", 3, 0, -0.25, ["Conv": 6, "MatMul": 1, "Gemm": 1]),
        ("cnn", "  - lowrank: { rank: 4, conv: false }", 1, 0, 0.3, ["Conv": 2, "MatMul": 1, "Gemm": 1]),
        ("transformer", "  - lowrank: { rank: 16, exclude: [\"embed*\"] }", 7, 0, 0.4, ["MatMul": 16]),
        ("transformer", "  - lowrank: { ratio: 0.25 }", 7, 0, 0.4, ["MatMul": 16]),
        ("transformer", "  - lowrank: { energy: 0.8 }", 7, 0, 0.78, ["MatMul": 16]),
    ])
    func factorizesAndRunsInORT(fixture: String, passes: String, factorized: Int, kept: Int, floor: Double, ops: [String: Int]) throws {
        let (_, report, check) = try Self.build(fixture, passes)
        let rows = report.layers
        print("lowrank \(fixture) \(passes): \(report.summary); cosine \(check.outputs["logits"]!.cosine_mean) min \(check.outputs["logits"]!.cosine_min); \(rows.map(\.action))")
        #expect(check.checker)
        #expect(rows.filter { !$0.action.hasPrefix("kept") }.count == factorized, "\(rows.map(\.action))")
        #expect(rows.filter { $0.action.hasPrefix("kept") }.count == kept, "\(rows.map(\.action))")
        for (op, count) in ops { #expect(check.ops[op] == count, "\(op): \(check.ops)") }
        #expect(report.parametersAfter < report.parametersBefore)
        #expect(try #require(report.flopsAfter) < #require(report.flopsBefore))
        for r in rows where !r.action.hasPrefix("kept") {
            #expect(try #require(r.parametersAfter) < #require(r.parametersBefore))
            #expect(try #require(r.flopsAfter) < #require(r.flopsBefore))
        }
        #expect(check.outputs["logits"]!.cosine_min > floor)
        #expect((report.kernelFLOPs ?? 0) > 0 && report.kernelSeconds == nil)
    }

    /// Rank 48 of a 64×64 projection would grow it (48·128 > 64·64): those four are kept; fc1, fc2 and lm_head pay.
    @Test func keepsLayersWhereFactorizingDoesNotPay() throws {
        let (_, report, check) = try Self.build("transformer", "  - lowrank: { rank: 48, exclude: [\"embed*\"] }")
        let kept = report.layers.filter { $0.action.hasPrefix("kept") }.map(\.layer)
        #expect(kept == ["layers.0.attn.q_proj.weight", "layers.0.attn.k_proj.weight", "layers.0.attn.v_proj.weight", "layers.0.attn.out_proj.weight"])
        let done = report.layers.filter { !$0.action.hasPrefix("kept") }
        #expect(done.map(\.layer) == ["layers.0.mlp.fc1.weight", "layers.0.mlp.fc2.weight", "lm_head.weight"])
        // fc1 64×256 → 48·(64 + 256) elements.
        #expect(done[0].parametersBefore == 16384 && done[0].parametersAfter == 15360)
        #expect(report.parametersBefore - report.parametersAfter == 3 * 16384 + 32768 - 2 * 15360 - 48 * 576 - 16384)
        #expect(check.ops["MatMul"] == 12)
        #expect(check.outputs["logits"]!.cosine_min > 0.9)
    }

    @Test func deterministicAcrossJobs() throws {
        let passes = "  - lowrank: { ratio: 0.5 }"
        let a = try CalibrationBuildTests.workspace(ONNXBuildTests.recipe(model: "models/cnn.onnx", targets: "x86-64-avx2", passes: passes))
        try a.build(jobs: 1)
        let b = try CalibrationBuildTests.workspace(ONNXBuildTests.recipe(model: "models/cnn.onnx", targets: "x86-64-avx2", passes: passes))
        try b.build(jobs: 3)
        let x = try Data(contentsOf: URL(fileURLWithPath: a.distDir + "/onnx/x86-64-avx2/model.onnx"))
        let y = try Data(contentsOf: URL(fileURLWithPath: b.distDir + "/onnx/x86-64-avx2/model.onnx"))
        #expect(x == y)
        // The report rows (in the manifest) come in the same order whatever the number of threads.
        let mx = try Data(contentsOf: URL(fileURLWithPath: a.distDir + "/onnx/x86-64-avx2/manifest.json"))
        let my = try Data(contentsOf: URL(fileURLWithPath: b.distDir + "/onnx/x86-64-avx2/manifest.json"))
        #expect(mx == my)
    }
}
