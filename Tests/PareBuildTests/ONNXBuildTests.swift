import Foundation
import Testing
import PareBasics
import PareBuild

/// ONNX models through the whole pipeline: fixtures made by scripts/onnx_fixtures.py, bundles run in ONNX Runtime
/// by scripts/check_onnx.py against the float model.
@Suite(.serialized) struct ONNXBuildTests {
    /// Generates the fixtures once per folder; returns the folder.
    static func fixtures(opset: Int) throws -> String {
        // Keyed by the generator's content, so a changed generator never leaves stale fixtures behind.
        let script = FileManager.default.contents(atPath: Workspace.repoRoot + "/scripts/onnx_fixtures.py") ?? Data()
        let dir = NSTemporaryDirectory() + "pare-onnx-fixtures-\(opset)-\(Digest.of(script).short)"
        if FileManager.default.fileExists(atPath: dir + "/constants.onnx") { return dir }
        let (status, _, err) = try Workspace.python([Workspace.repoRoot + "/scripts/onnx_fixtures.py", dir, "--opset", String(opset), "--only", "cnn,transformer,constants"])
        #expect(status == 0, "\(err)")
        return dir
    }

    struct Check: Decodable {
        struct Output: Decodable { var cosine_mean: Double; var cosine_min: Double }
        var checker: Bool
        var outputs: [String: Output]
        var ops: [String: Int]
        var candidate_bytes: Int
        var reference_bytes: Int
    }

    static func check(reference: String, candidate: String) throws -> Check {
        let (status, out, err) = try Workspace.python([Workspace.repoRoot + "/scripts/check_onnx.py", "--reference", reference,
                                                       "--candidate", candidate, "--seed", "1", "--samples", "4", "--json"])
        #expect(status == 0, "\(err)")
        return try JSONDecoder().decode(Check.self, from: Data(out.utf8))
    }

    static let int4 = """
          - quantize:
              weights: { dtype: int4, granularity: per-group, group: 32, symmetric: false }
              overrides:
                - match: "*embed*"
                  weights: { dtype: int8, granularity: per-channel }
        """

    static let int4Fit = """
          - quantize:
              weights: { dtype: int4, granularity: per-group, group: 32, symmetric: false, fit: mse }
              overrides:
                - match: "*embed*"
                  weights: { dtype: int8, granularity: per-channel, symmetric: true, fit: minmax }
        """

    static let int4FitCNN = """
          - quantize:
              weights: { dtype: int4, granularity: per-group, group: 32, symmetric: false, fit: mse }
              overrides:
                - match: conv1.weight
                  weights: { dtype: int8, granularity: per-channel, fit: minmax }
        """

    static func recipe(model: String, targets: String, passes: String) -> String {
        """
        recipe: onnx
        model: { path: \(model) }
        targets: [\(targets)]
        passes:
        \(passes)

        """
    }

    @Test(arguments: [
        // (fixture, opset, passes, target, cosine floor, op that must appear)
        ("cnn", 17, "  - quantize: { weights: { dtype: int8, granularity: per-channel } }", "qualcomm-hexagon-v73", 0.999, "DequantizeLinear"),
        ("transformer", 17, "  - quantize: { weights: { dtype: int8, granularity: per-channel } }", "x86-64-avx2", 0.999, "DequantizeLinear"),
        ("constants", 17, "  - quantize: { weights: { dtype: int8, granularity: per-channel } }", "google-edgetpu", 0.999, "DequantizeLinear"),
        // int4 per-group 32 on the MatMul weights (MatMulNBits on CPU targets), embeddings int8. fit: mse (fractional
        // zero points in MatMulNBits) measured 0.9930; minmax 0.9903.
        ("transformer", 17, Self.int4Fit, "x86-64-avx2", 0.99, "com.microsoft:MatMulNBits"),
        ("transformer", 21, Self.int4Fit, "arm64-cortex-a55", 0.99, "com.microsoft:MatMulNBits"),
        ("transformer", 17, Self.int4, "x86-64-avx2", 0.99, "com.microsoft:MatMulNBits"),
        // Every weight int4 per-group 32 with fit: mse: the MLP of Constant nodes (MatMulNBits) measured 0.9932, the
        // CNN (conv2 and fc as Cast/Sub/Mul; conv1's rows of 27 stay int8) 0.9977.
        ("constants", 17, "  - quantize: { weights: { dtype: int4, granularity: per-group, group: 32, symmetric: false, fit: mse } }",
         "x86-64-avx2", 0.99, "com.microsoft:MatMulNBits"),
        ("cnn", 17, Self.int4FitCNN, "x86-64-avx2", 0.99, "Sub"),
        // Symmetric minmax int4 per-group 32 everywhere, as blocked DequantizeLinear (opset 21): measured 0.979 on
        // this small random transformer (0.982 with fit: mse); asymmetric fit: mse is the setting that meets 0.99.
        ("transformer", 17, "  - quantize: { weights: { dtype: int4, granularity: per-group, group: 32 } }", "x86-64-avx2", 0.97, "DequantizeLinear"),
        ("cnn", 11, "  - quantize: { weights: { dtype: int8, granularity: per-channel } }", "x86-64-avx2", 0.999, "DequantizeLinear"),
        ("transformer", 13, "  - cast: { dtype: fp16 }", "apple-ane-a17", 0.999, "Cast"),
        ("transformer", 17, "  - cast: { dtype: fp16, compute: float16 }", "apple-ane-a17", 0.999, "MatMul"),
        ("cnn", 17, "  - cast: { dtype: fp16, compute: float16 }", "qualcomm-hexagon-v73", 0.999, "Conv"),
        // 30 % unstructured pruning with no recovery step (distillation is a later pass) costs accuracy: measured 0.861.
        ("cnn", 17, "  - prune: { sparsity: 0.3 }\n  - quantize: { weights: { dtype: uint8, granularity: per-channel, symmetric: false } }", "x86-64-avx2", 0.85, "DequantizeLinear"),
    ] as [(String, Int, String, String, Double, String)])
    func bundleRunsInONNXRuntime(fixture: String, opset: Int, passes: String, target: String, floor: Double, op: String) throws {
        let dir = try Self.fixtures(opset: opset)
        let ws = try Workspace(recipe: "recipe: placeholder\n")
        let model = ws.dir + "/models/\(fixture).onnx"
        try FileManager.default.copyItem(atPath: dir + "/\(fixture).onnx", toPath: model)
        try ws.writeRecipe(Self.recipe(model: "models/\(fixture).onnx", targets: target, passes: passes))
        let r = try ws.build()
        let bundle = r.bundles[0].path + "/model.onnx"
        let c = try Self.check(reference: model, candidate: bundle)
        #expect(c.checker)
        for (name, o) in c.outputs {
            #expect(o.cosine_min >= floor, "\(fixture) \(name): cosine \(o.cosine_min) < \(floor)")
        }
        #expect(c.ops[op] != nil, "\(op) missing from \(c.ops)")
        if !passes.contains("prune") { #expect(c.candidate_bytes < c.reference_bytes) }
    }

    @Test func onnxBundlesAreDeterministicAndIncremental() throws {
        let dir = try Self.fixtures(opset: 17)
        let ws = try Workspace(recipe: "recipe: placeholder\n")
        try FileManager.default.copyItem(atPath: dir + "/transformer.onnx", toPath: ws.dir + "/models/transformer.onnx")
        try ws.writeRecipe(Self.recipe(model: "models/transformer.onnx", targets: "x86-64-avx2, qualcomm-hexagon-v73",
                                       passes: "  - quantize: { weights: { dtype: int8, granularity: per-channel } }"))
        let a = try ws.build(jobs: 1, cache: ws.dir + "/cA", dist: ws.dir + "/dA")
        let b = try ws.build(jobs: 2, cache: ws.dir + "/cB", dist: ws.dir + "/dB")
        #expect(a.bundles.map(\.sha256) == b.bundles.map(\.sha256))
        let again = try ws.build(jobs: 2, cache: ws.dir + "/cB", dist: ws.dir + "/dB")
        #expect(again.executed == 0)
    }

    /// A 2:4 pattern survives quantization along the MatMul channel axis: the bundle's effective weights
    /// (as `pare diff` decodes them) keep at least half zeros in every group of 4 (the build verifies each group).
    @Test func nmPatternSurvivesInTheONNXBundle() throws {
        let dir = try Self.fixtures(opset: 17)
        let ws = try Workspace(recipe: "recipe: placeholder\n")
        try FileManager.default.copyItem(atPath: dir + "/transformer.onnx", toPath: ws.dir + "/models/transformer.onnx")
        try ws.writeRecipe(Self.recipe(model: "models/transformer.onnx", targets: "x86-64-avx2", passes: """
          - prune: { pattern: "2:4", include: ["*mlp*"] }
          - quantize: { weights: { dtype: int4, granularity: per-group, group: 32, symmetric: false } }
        """))
        let r = try ws.build()
        let (status, out, err) = try Workspace.run([Workspace.pareBinary, "diff", ws.dir + "/models/transformer.onnx", r.bundles[0].path, "--json"])
        #expect(status == 0, "\(err)")
        let obj = try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [String: Any]
        let rows = (obj["tensors"] as! [[String: Any]]).filter { ($0["name"] as! String).contains("mlp") && ($0["shape"] as! [Int]).count == 2 }
        #expect(rows.count == 2)
        for row in rows { #expect((row["b_sparsity"] as! Double) >= 0.5, "\(row)") }
    }

    @Test func unknownOpsetIsAPlanTimeError() throws {
        let ws = try Workspace(recipe: "recipe: placeholder\n")
        let (status, _, err) = try Workspace.python(["-c", """
        import onnx, onnx.helper as h
        g = h.make_graph([h.make_node("Relu", ["x"], ["y"])], "g", [h.make_tensor_value_info("x", 1, [2])], [h.make_tensor_value_info("y", 1, [2])])
        onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 9)]), "\(ws.dir)/models/old.onnx")
        """])
        #expect(status == 0, "\(err)")
        try ws.writeRecipe(Self.recipe(model: "models/old.onnx", targets: "x86-64-avx2", passes: "  - quantize"))
        do {
            try ws.build()
            Issue.record("expected an error")
        } catch let e as DiagnosticError {
            #expect(e.description.contains("opset 9"))
            #expect(e.description.contains("old.onnx"))
        }
    }
}
