import Foundation
import Testing
import PareBasics
import PareBuild
import ParePasses

/// The `fold` pass: BatchNormalization folded into Conv / Gemm, weight-only subgraphs evaluated, Identity and
/// Dropout removed — and the bundle computes the same outputs in ONNX Runtime.
@Suite(.serialized) struct FoldTests {
    /// scripts/graph_fixtures.py's models, generated once per script content.
    static func graphFixtures() throws -> String {
        let script = FileManager.default.contents(atPath: Workspace.repoRoot + "/scripts/graph_fixtures.py") ?? Data()
        let dir = NSTemporaryDirectory() + "pare-graph-fixtures-\(Digest.of(script).short)"
        if FileManager.default.fileExists(atPath: dir + "/foldable.onnx") { return dir }
        let (status, _, err) = try Workspace.python([Workspace.repoRoot + "/scripts/graph_fixtures.py", dir])
        #expect(status == 0, "\(err)")
        return dir
    }

    static func workspace(model: String, from dir: String, passes: String) throws -> Workspace {
        let ws = try Workspace(recipe: ONNXBuildTests.recipe(model: "models/\(model)", targets: "x86-64-avx2", passes: passes))
        try FileManager.default.copyItem(atPath: dir + "/" + model, toPath: ws.dir + "/models/" + model)
        return ws
    }

    struct Manifest: Decodable {
        struct Pass: Decodable { var id: String; var report: PassReport? }
        var passes: [Pass]
    }

    static func report(_ ws: Workspace, target: String = "x86-64-avx2") throws -> PassReport? {
        let data = try Data(contentsOf: URL(fileURLWithPath: ws.distDir + "/onnx/\(target)/manifest.json"))
        return try JSONDecoder().decode(Manifest.self, from: data).passes.first { $0.report != nil }?.report
    }

    @Test(arguments: [
        // (config, ops left in the bundle, report rows)
        ("", ["Conv": 2, "Flatten": 1, "Gemm": 1, "GlobalAveragePool": 1, "Relu": 1], 7),
        ("{ batchnorm: false }", ["BatchNormalization": 3, "Conv": 2, "Flatten": 1, "Gemm": 1, "GlobalAveragePool": 1, "Relu": 1], 4),
        ("{ identities: false }", ["Conv": 2, "Dropout": 1, "Flatten": 1, "Gemm": 1, "GlobalAveragePool": 1, "Identity": 2, "Relu": 1], 4),
        // Without constant folding the Gemm weight is computed, so the BN after the Gemm cannot fold.
        ("{ constants: false }", ["BatchNormalization": 1, "Conv": 2, "Flatten": 1, "Gemm": 1, "GlobalAveragePool": 1, "Mul": 1, "Relu": 1, "Transpose": 1], 5),
    ])
    func foldsAndKeepsOutputs(config: String, ops: [String: Int], rows: Int) throws {
        let ws = try Self.workspace(model: "foldable.onnx", from: Self.graphFixtures(), passes: "  - fold\(config.isEmpty ? "" : ": \(config)")")
        let first = try ws.build()
        #expect(first.executed == 3)
        let check = try ONNXBuildTests.check(reference: ws.dir + "/models/foldable.onnx", candidate: ws.distDir + "/onnx/x86-64-avx2/model.onnx")
        #expect(check.checker)
        #expect(check.ops == ops)
        #expect(check.outputs["logits"]!.cosine_min > 0.999999)
        let report = try #require(try Self.report(ws))
        #expect(report.layers.count == rows, "\(report.layers.map(\.action))")
        #expect(report.flopsBefore == report.flopsAfter)
        let again = try ws.build()
        #expect(again.executed == 0 && again.cached == 3)
    }

    @Test func foldsTheCNNFixtureAndQuantizesAfter() throws {
        let fx = try ONNXBuildTests.fixtures(opset: 17)
        let ws = try Self.workspace(model: "cnn.onnx", from: fx, passes: "  - fold\n  - quantize: { weights: { dtype: int8, granularity: per-channel } }")
        try ws.build()
        let check = try ONNXBuildTests.check(reference: ws.dir + "/models/cnn.onnx", candidate: ws.distDir + "/onnx/x86-64-avx2/model.onnx")
        #expect(check.ops["BatchNormalization"] == nil && check.ops["DequantizeLinear"] == 3)
        #expect(check.outputs["logits"]!.cosine_min > 0.999)
        let report = try #require(try Self.report(ws))
        #expect(report.layers.map(\.action) == ["folded /bn1/BatchNormalization into /conv1/Conv", "folded /bn2/BatchNormalization into /conv2/Conv"])
        // Folding alone: the same outputs within float rounding.
        let alone = try Self.workspace(model: "cnn.onnx", from: fx, passes: "  - fold")
        try alone.build()
        let exact = try ONNXBuildTests.check(reference: alone.dir + "/models/cnn.onnx", candidate: alone.distDir + "/onnx/x86-64-avx2/model.onnx")
        #expect(exact.outputs["logits"]!.cosine_min > 0.999999)
    }

    @Test func foldsTheTransformerFixtureWithoutChangingIt() throws {
        // Nothing to fold but constant shape tensors: the bundle computes the same outputs.
        let fx = try ONNXBuildTests.fixtures(opset: 17)
        let ws = try Self.workspace(model: "transformer.onnx", from: fx, passes: "  - fold")
        try ws.build()
        let check = try ONNXBuildTests.check(reference: ws.dir + "/models/transformer.onnx", candidate: ws.distDir + "/onnx/x86-64-avx2/model.onnx")
        #expect(check.checker && check.outputs["logits"]!.cosine_min > 0.999999)
        let report = try #require(try Self.report(ws))
        #expect(report.parametersAfter == report.parametersBefore && report.flopsAfter == report.flopsBefore)
    }

    @Test func needsAGraph() throws {
        let ws = try Workspace(recipe: """
            recipe: st
            model: { path: models/model.safetensors }
            targets: [x86-64-avx2]
            passes:
              - fold

            """)
        #expect {
            try ws.plan()
        } throws: { error in
            "\(error)".contains("recipe.yaml:5:5: error: fold needs the model's graph, but models/model.safetensors is a safetensors model")
        }
    }
}
