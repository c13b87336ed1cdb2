import Foundation
import Testing
import PareBasics
import PareBuild
import ParePasses

/// `prune: { structure: channels }`: whole channels removed, consumers shrunk, the bundle runs in ONNX Runtime,
/// parameters and FLOPs drop by exactly what the kept channel counts give.
@Suite(.serialized) struct ChannelPruneTests {
    static let target = "x86-64-avx2"

    static func workspace(_ model: String, passes: String, calibration: Bool = false, from dir: String? = nil) throws -> Workspace {
        let data = calibration ? "data:\n  calibration: { path: models/\(model).calib.npz, samples: 8, seed: 1 }\n" : ""
        let ws = try Workspace(recipe: """
            recipe: chprune
            model: { path: models/\(model).onnx }
            \(data)targets: [\(target)]
            passes:
            \(passes)

            """)
        let fx = try dir ?? ONNXBuildTests.fixtures(opset: 17)
        for name in [model + ".onnx"] + (calibration ? [model + ".calib.npz"] : []) {
            try FileManager.default.copyItem(atPath: fx + "/" + name, toPath: ws.dir + "/models/" + name)
        }
        return ws
    }

    /// scripts/onnx_fixtures.py's `resnet` (on demand), generated once per script content.
    static func resnetFixture() throws -> String {
        let script = FileManager.default.contents(atPath: Workspace.repoRoot + "/scripts/onnx_fixtures.py") ?? Data()
        let dir = NSTemporaryDirectory() + "pare-resnet-fixture-\(Digest.of(script).short)"
        if FileManager.default.fileExists(atPath: dir + "/resnet.onnx") { return dir }
        let (status, _, err) = try Workspace.python([Workspace.repoRoot + "/scripts/onnx_fixtures.py", dir, "--only", "resnet"])
        #expect(status == 0, "\(err)")
        return dir
    }

    static func check(_ ws: Workspace, _ model: String) throws -> ONNXBuildTests.Check {
        try ONNXBuildTests.check(reference: ws.dir + "/models/\(model).onnx", candidate: ws.distDir + "/chprune/\(target)/model.onnx")
    }

    /// The shapes of the bundle's initializers (name → dims), read with onnx.
    static func shapes(_ path: String) throws -> [String: [Int]] {
        let (status, out, err) = try Workspace.python(["-c", """
            import json, onnx, sys
            m = onnx.load(sys.argv[1])
            print(json.dumps({t.name: list(t.dims) for t in m.graph.initializer}))
            """, path])
        #expect(status == 0, "\(err)")
        return try JSONDecoder().decode([String: [Int]].self, from: Data(out.utf8))
    }

    static func report(_ ws: Workspace) throws -> PassReport? {
        let data = try Data(contentsOf: URL(fileURLWithPath: ws.distDir + "/chprune/\(target)/manifest.json"))
        return try JSONDecoder().decode(FoldTests.Manifest.self, from: data).passes.first { $0.report != nil }?.report
    }

    /// Max |difference| of logits (ORT, 4 seeded inputs) between the pruned cnn bundle and the original cnn with
    /// the removed channels masked: conv2 input channels of removed conv1 channels and fc columns of removed conv2
    /// channels set to zero. Kept channels are identified by matching rows / columns.
    static func maskedDifference(_ ws: Workspace) throws -> Double {
        let (status, out, err) = try Workspace.python(["-c", """
            import sys, numpy as np, onnx, onnxruntime as ort
            from onnx import numpy_helper
            ref, cand = onnx.load(sys.argv[1]), onnx.load(sys.argv[2])
            w = {t.name: numpy_helper.to_array(t) for t in ref.graph.initializer}
            p = {t.name: numpy_helper.to_array(t) for t in cand.graph.initializer}
            k1 = [next(i for i in range(32) if (w["conv1.weight"][i] == r).all()) for r in p["conv1.weight"]]
            k2 = [next(i for i in range(64) if (w["fc.weight"][:, i] == p["fc.weight"][:, j]).all()) for j in range(p["fc.weight"].shape[1])]
            c2 = w["conv2.weight"].copy(); c2[:, [i for i in range(32) if i not in k1]] = 0
            fc = w["fc.weight"].copy(); fc[:, [i for i in range(64) if i not in k2]] = 0
            for t in ref.graph.initializer:
                if t.name == "conv2.weight": t.CopyFrom(numpy_helper.from_array(c2, t.name))
                if t.name == "fc.weight": t.CopyFrom(numpy_helper.from_array(fc, t.name))
            so = ort.SessionOptions(); so.intra_op_num_threads = 1
            a = ort.InferenceSession(ref.SerializeToString(), so, providers=["CPUExecutionProvider"])
            b = ort.InferenceSession(sys.argv[2], so, providers=["CPUExecutionProvider"])
            x = np.random.default_rng(7).standard_normal((4, 1, 3, 32, 32)).astype(np.float32)
            print(max(float(np.abs(a.run(None, {"input": xi})[0] - b.run(None, {"input": xi})[0]).max()) for xi in x))
            """, ws.dir + "/models/cnn.onnx", ws.distDir + "/chprune/\(target)/model.onnx"])
        #expect(status == 0, "\(err)")
        return Double(out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? .infinity
    }

    static func prune(_ sparsity: Double, importance: String = "l1", roundTo: Int = 1, extra: String = "") -> String {
        "  - prune: { structure: channels, sparsity: \(sparsity), importance: \(importance), round_to: \(roundTo)\(extra) }"
    }

    // MARK: unit: counts and ranking

    @Test(arguments: [(64, 0.25, 1, 48), (32, 0.25, 1, 24), (32, 0.3, 8, 24), (64, 0.3, 8, 48), (32, 0.6, 1, 13), (64, 0.6, 1, 26),
                      (10, 0.95, 1, 0), (10, 0.95, 4, 0), (16, 0.9, 4, 4), (7, 0.5, 1, 3), (7, 0.5, 4, 4), (8, 0.5, 16, 8)])
    func keptCount(channels: Int, sparsity: Double, roundTo: Int, kept: Int) {
        #expect(ChannelPrunePass.keptCount(channels: channels, sparsity: sparsity, roundTo: roundTo) == kept)
    }

    @Test func keepsTheMostImportantLowerIndexFirst() {
        #expect(ChannelPrunePass.keep(importance: [1, 3, 3, 0, 2], kept: 2) == [1, 2])
        #expect(ChannelPrunePass.keep(importance: [1, 3, 3, 0, 2], kept: 3) == [1, 2, 4])
        #expect(ChannelPrunePass.keep(importance: [5, 5, 5, 5], kept: 2) == [0, 1])
    }

    // MARK: cnn

    /// cnn: conv1 (32) and conv2 (64) spaces; conv2 → BN → Clip → GAP → Flatten → Gemm.
    @Test(arguments: [(0.25, "l1", 1, 24, 48), (0.5, "l1", 1, 16, 32), (0.25, "l2", 1, 24, 48),
                      (0.3, "l1", 8, 24, 48), (0.6, "l2", 1, 13, 26)])
    func cnn(sparsity: Double, importance: String, roundTo: Int, c1: Int, c2: Int) throws {
        let ws = try Self.workspace("cnn", passes: Self.prune(sparsity, importance: importance, roundTo: roundTo))
        let started = Date()
        try ws.build()
        let seconds = Date().timeIntervalSince(started)
        let check = try Self.check(ws, "cnn")
        #expect(check.checker)
        #expect(check.ops == ["BatchNormalization": 2, "Clip": 1, "Conv": 2, "Flatten": 1, "Gemm": 1, "GlobalAveragePool": 1, "MaxPool": 1, "Relu": 1])
        let cosine = check.outputs["logits"]!.cosine_min
        // The fixture's classifier is centred (logits ≈ 0 on average), so dropping channels without fine-tuning
        // moves logits a lot: the cosine is reported, not gated. Correctness: the pruned model equals the original
        // with the removed channels masked (their consumers' input weights zeroed).
        #expect(try Self.maskedDifference(ws) < 1e-4)
        let report = try #require(try Self.report(ws))
        func params(_ a: Int, _ b: Int) -> Int { a * 27 + a + 4 * a + b * a * 9 + 4 * b + 10 * b + 10 + 2 }
        func flops(_ a: Int, _ b: Int) -> Int { 2 * 1024 * a * 27 + 2 * 256 * b * a * 9 + 2 * 10 * b }
        #expect(report.parametersBefore == params(32, 64) && report.parametersAfter == params(c1, c2))
        #expect(report.flopsBefore == flops(32, 64) && report.flopsAfter == flops(c1, c2))
        #expect(report.layers.map(\.layer) == ["conv1.weight", "conv2.weight"])
        #expect(report.layers.map(\.action) == ["kept \(c1) of 32 channels (\(importance))", "kept \(c2) of 64 channels (\(importance))"])
        let s = try Self.shapes(ws.distDir + "/chprune/\(Self.target)/model.onnx")
        #expect(s["conv1.weight"] == [c1, 3, 3, 3] && s["conv2.weight"] == [c2, c1, 3, 3] && s["fc.weight"] == [10, c2] && s["bn2.running_var"] == [c2])
        print("chprune cnn s=\(sparsity) \(importance) round_to=\(roundTo): params \(report.parametersBefore) → \(report.parametersAfter), "
              + "FLOPs \(report.flopsBefore!) → \(report.flopsAfter!), cosine_min \(cosine) mean \(check.outputs["logits"]!.cosine_mean), build \(String(format: "%.2f", seconds)) s")
    }

    @Test func cnnActivationImportance() throws {
        let ws = try Self.workspace("cnn", passes: Self.prune(0.25, importance: "activation"), calibration: true)
        try ws.build()
        let check = try Self.check(ws, "cnn")
        #expect(check.checker)
        let cosine = check.outputs["logits"]!.cosine_min
        #expect(try Self.maskedDifference(ws) < 1e-4)
        let report = try #require(try Self.report(ws))
        #expect(report.layers.map(\.action) == ["kept 24 of 32 channels (activation)", "kept 48 of 64 channels (activation)"])
        #expect(report.flopsAfter == 2 * 1024 * 24 * 27 + 2 * 256 * 48 * 24 * 9 + 2 * 10 * 48)
        // Activation ranking differs from weight ranking on this model (BN rescales channels after the conv).
        let l1 = try Self.workspace("cnn", passes: Self.prune(0.25, importance: "l1"))
        try l1.build()
        let a = ws.read(ws.distDir + "/chprune/\(Self.target)/model.onnx"), b = l1.read(l1.distDir + "/chprune/\(Self.target)/model.onnx")
        #expect(a != b)
        print("chprune cnn activation s=0.25: cosine_min \(cosine)")
    }

    /// A selection that leaves out a producer weight leaves its space alone.
    @Test func unselectedProducerKeepsItsSpace() throws {
        let ws = try Self.workspace("cnn", passes: Self.prune(0.5, extra: ", exclude: [\"conv2.weight\"]"))
        try ws.build()
        let report = try #require(try Self.report(ws))
        #expect(report.layers.map(\.layer) == ["conv1.weight"])
        #expect(report.notes.contains { $0.contains("conv2.weight") && $0.contains("not selected") })
        let s = try Self.shapes(ws.distDir + "/chprune/\(Self.target)/model.onnx")
        #expect(s["conv2.weight"] == [64, 16, 3, 3])
    }

    // MARK: transformer

    /// Only the MLP hidden space (fc1 → GELU (Erf form) → fc2) is prunable; attention and the residual stream stay.
    @Test(arguments: [(0.25, 192, 0.96), (0.5, 128, 0.93)])
    func transformer(sparsity: Double, hidden: Int, floor: Double) throws {
        let ws = try Self.workspace("transformer", passes: Self.prune(sparsity))
        let started = Date()
        try ws.build()
        let seconds = Date().timeIntervalSince(started)
        let check = try Self.check(ws, "transformer")
        #expect(check.checker)
        let cosine = check.outputs["logits"]!.cosine_min
        #expect(cosine > floor)
        let report = try #require(try Self.report(ws))
        #expect(report.layers.map(\.layer) == ["layers.0.mlp.fc1.weight"])
        let removed = 256 - hidden
        #expect(report.parametersBefore - report.parametersAfter == removed * (64 + 1 + 64))
        #expect(report.flopsBefore! - report.flopsAfter! == 2 * 16 * 64 * removed * 2)
        for w in ["q_proj", "k_proj", "v_proj"] { #expect(report.notes.contains { $0.hasPrefix("channel space of layers.0.attn.\(w).weight") && $0.contains("Reshape") }) }
        #expect(report.notes.contains { $0.hasPrefix("channel space of layers.0.attn.out_proj.weight") && $0.contains("not pruned") })
        #expect(report.notes.contains { $0.hasPrefix("channel space of lm_head.weight") && $0.contains("graph output logits") })
        let s = try Self.shapes(ws.distDir + "/chprune/\(Self.target)/model.onnx")
        #expect(s["layers.0.mlp.fc1.weight"] == [64, hidden] && s["layers.0.mlp.fc1.bias"] == [hidden] && s["layers.0.mlp.fc2.weight"] == [hidden, 64])
        #expect(s["layers.0.attn.q_proj.weight"] == [64, 64] && s["lm_head.weight"] == [64, 512])
        print("chprune transformer s=\(sparsity): params \(report.parametersBefore) → \(report.parametersAfter), "
              + "FLOPs \(report.flopsBefore!) → \(report.flopsAfter!), cosine_min \(cosine) mean \(check.outputs["logits"]!.cosine_mean), build \(String(format: "%.2f", seconds)) s")
        print(report.notes.joined(separator: "\n"))
    }

    // MARK: residual

    /// resnet: the stem conv and the block's second conv meet at the residual Add: they drop the same channels.
    @Test func residualAddSharesChannels() throws {
        let ws = try Self.workspace("resnet", passes: Self.prune(0.25), from: Self.resnetFixture())
        try ws.build()
        let check = try Self.check(ws, "resnet")
        #expect(check.checker)
        #expect(check.outputs["logits"]!.cosine_min > 0.8)
        let report = try #require(try Self.report(ws))
        #expect(report.layers.map(\.layer) == ["stem.weight + block.conv2.weight", "block.conv1.weight"])
        #expect(report.layers.map(\.action) == ["kept 12 of 16 channels (l1)", "kept 12 of 16 channels (l1)"])
        // Which original rows survive in stem.weight and block.conv2.weight: the same set.
        let (status, out, err) = try Workspace.python(["-c", """
            import json, onnx, sys
            from onnx import numpy_helper
            def load(p):
                m = onnx.load(p)
                return {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
            a, b = load(sys.argv[1]), load(sys.argv[2])
            stem = [next(i for i in range(16) if (a["stem.weight"][i] == r).all()) for r in b["stem.weight"]]
            conv2 = [next(i for i in range(16) if all(any((a["block.conv2.weight"][i][j] == r[k]).all() for j in range(16)) for k in range(r.shape[0])))
                     for r in b["block.conv2.weight"]]
            fc = [next(j for j in range(16) if (a["fc.weight"][:, j] == b["fc.weight"][:, k]).all()) for k in range(b["fc.weight"].shape[1])]
            print(json.dumps({"stem": stem, "fc": fc, "conv2": conv2, "shape": list(b["block.conv2.weight"].shape)}))
            """, ws.dir + "/models/resnet.onnx", ws.distDir + "/chprune/\(Self.target)/model.onnx"])
        #expect(status == 0, "\(err)")
        struct Kept: Decodable { var stem: [Int]; var fc: [Int]; var conv2: [Int]; var shape: [Int] }
        let kept = try JSONDecoder().decode(Kept.self, from: Data(out.utf8))
        #expect(kept.stem.count == 12 && kept.stem == kept.fc && kept.stem == kept.conv2)
        #expect(kept.shape == [12, 12, 3, 3])
    }

    // MARK: errors and determinism

    @Test func removingEveryChannelIsAPlanTimeError() throws {
        let ws = try Self.workspace("cnn", passes: Self.prune(0.99))
        #expect {
            try ws.plan()
        } throws: { error in
            let text = "\(error)"
            print(text)
            return text.contains("recipe.yaml:5:45: error: sparsity 0.99 would remove all 32 output channels of tensor 'conv1.weight'")
        }
    }

    @Test func theOutputLayerIsNotCheckedForRemovingEveryChannel() throws {
        // fc (10 logits) would lose round(0.96·10) = 10 channels, but the layer computing the graph output is never
        // pruned; conv1 (32 → 1) and conv2 (64 → 3) keep some.
        let ws = try Self.workspace("cnn", passes: Self.prune(0.96))
        _ = try ws.plan()
    }

    @Test func byteIdenticalAcrossJobs() throws {
        let ws = try Self.workspace("cnn", passes: Self.prune(0.5, importance: "l2", roundTo: 4))
        let a = try ws.build(jobs: 1, cache: ws.dir + "/cacheA", dist: ws.dir + "/distA")
        let b = try ws.build(jobs: 3, cache: ws.dir + "/cacheB", dist: ws.dir + "/distB")
        #expect(a.bundles.map(\.sha256) == b.bundles.map(\.sha256))
        for (x, y) in zip(a.bundles, b.bundles) {
            #expect(ws.read(x.path + "/model.onnx") == ws.read(y.path + "/model.onnx"))
        }
        let again = try ws.build(jobs: 3, cache: ws.dir + "/cacheB", dist: ws.dir + "/distB")
        #expect(again.executed == 0)
    }
}
