import Foundation
import Testing
import PareBasics
import PareBuild

/// `gptq` end to end on the fixture transformer and CNN: bundles run in onnxruntime, beat round to nearest of the
/// same scheme (`quantize`), and are byte-identical whatever `--jobs`.
@Suite(.serialized) struct GPTQBuildTests {
    static func recipe(_ fixture: String, target: String, pass: String) -> String {
        """
        recipe: \(fixture)-w4
        model: { path: models/\(fixture).onnx }
        data:
          calibration: { path: models/\(fixture).calib.npz, samples: 32 }
        targets: [\(target)]
        passes:
          - \(pass)

        """
    }

    /// conv1's rows (3·3·3 = 27) are not a multiple of 32: it stays float in both builds.
    static func scheme(_ fixture: String) -> String {
        let exclude = fixture == "cnn" ? ", exclude: [conv1.weight]" : ""
        return "weights: { dtype: int4, granularity: per-group, group: 32 }\(exclude)"
    }

    /// Builds one recipe and returns (ORT check of the bundle against the float model, build seconds, manifest).
    static func build(_ ws: Workspace, _ recipe: String, fixture: String) throws -> (ONNXBuildTests.Check, Double, [String: Any]) {
        try ws.writeRecipe(recipe)
        let t0 = Date()
        let r = try ws.build(jobs: 1)
        let seconds = Date().timeIntervalSince(t0)
        let c = try ONNXBuildTests.check(reference: ws.dir + "/models/\(fixture).onnx", candidate: r.bundles[0].path + "/model.onnx")
        let manifest = try JSONSerialization.jsonObject(with: ws.read(r.bundles[0].path + "/manifest.json")) as! [String: Any]
        return (c, seconds, manifest)
    }

    @Test(arguments: [
        ("transformer", "x86-64-avx2", false), ("transformer", "x86-64-avx2", true), ("transformer", "arm64-cortex-a78", false),
        ("cnn", "x86-64-avx2", false), ("cnn", "arm64-cortex-a78", true),
    ])
    func gptqBeatsRoundToNearestInONNXRuntime(fixture: String, target: String, actOrder: Bool) throws {
        let ws = try CalibrationBuildTests.workspace("recipe: placeholder\n")
        let (rtn, rtnSeconds, _) = try Self.build(ws, Self.recipe(fixture, target: target, pass: "quantize: { \(Self.scheme(fixture)) }"), fixture: fixture)
        let (g, gSeconds, manifest) = try Self.build(ws, Self.recipe(fixture, target: target,
                                                                       pass: "gptq: { \(Self.scheme(fixture)), act_order: \(actOrder) }"), fixture: fixture)
        #expect(g.checker && rtn.checker)
        let name = g.outputs.keys.sorted()[0]
        let cg = g.outputs[name]!.cosine_mean, cr = rtn.outputs[name]!.cosine_mean
        print("gptq \(fixture) \(target) act_order \(actOrder): cosine gptq \(cg) rtn \(cr), bytes gptq \(g.candidate_bytes) rtn \(rtn.candidate_bytes) float \(g.reference_bytes), build s gptq \(gSeconds) rtn \(rtnSeconds), ops \(g.ops.keys.sorted())")
        #expect(cg >= cr, "gptq cosine \(cg) < round to nearest \(cr)")
        #expect(cg > 0.97)
        // Same scheme, same encoding: the same bundle size and the same ops as quantize's.
        #expect(g.candidate_bytes == rtn.candidate_bytes)
        #expect(g.ops == rtn.ops)
        #expect(g.ops["com.microsoft:MatMulNBits"] != nil || g.ops["DequantizeLinear"] != nil)
        // The manifest's pass report: one row per quantized weight, with gptq's proxy loss below round to nearest's.
        let passes = manifest["passes"] as! [[String: Any]]
        let report = try #require(passes.first { $0["pass"] as? String == "gptq" }?["report"] as? [String: Any])
        let layers = report["layers"] as! [[String: Any]]
        #expect(!layers.isEmpty)
        #expect(report["kernelSeconds"] == nil && (report["kernelFLOPs"] as? Double ?? 0) > 0)
        var sumG = 0.0, sumR = 0.0
        for l in layers { sumG += l["errorAfter"] as? Double ?? 0; sumR += l["errorBefore"] as? Double ?? 0 }
        #expect(sumG < sumR, "summed relative proxy loss gptq \(sumG) vs rtn \(sumR)")
    }

    @Test func bundlesAreByteIdenticalAcrossJobs() throws {
        let ws = try CalibrationBuildTests.workspace(Self.recipe("transformer", target: "x86-64-avx2, arm64-cortex-a78",
                                                                 pass: "gptq: { act_order: true, block_size: 16 }"))
        let a = try ws.build(jobs: 1, cache: ws.dir + "/cA", dist: ws.dir + "/dA")
        let b = try ws.build(jobs: 3, cache: ws.dir + "/cB", dist: ws.dir + "/dB")
        #expect(a.bundles.map(\.sha256) == b.bundles.map(\.sha256))
        #expect(a.bundles.count == 2)
    }
}
