import Foundation
import Testing
import PareBasics
@testable import PareBuild
import PareFormats

/// `bundle.external_data`: ONNX bundles whose weights live in the sidecar `model.onnx.data`, checked in ONNX Runtime
/// and onnx.checker against the float model, and the `auto` size rule.
@Suite(.serialized) struct ExternalDataTests {
    static let int8 = "  - quantize: { weights: { dtype: int8, granularity: per-channel } }"

    static func recipe(model: String, target: String, externalData: String) -> String {
        ONNXBuildTests.recipe(model: model, targets: target, passes: int8) + "bundle: { tar: true, external_data: \(externalData) }\n"
    }

    /// A workspace holding a copy of an opset-17 fixture as models/<fixture>.onnx.
    static func workspace(fixture: String, target: String, externalData: String) throws -> Workspace {
        let dir = try ONNXBuildTests.fixtures(opset: 17)
        let ws = try Workspace(recipe: "recipe: placeholder\n")
        try FileManager.default.copyItem(atPath: dir + "/\(fixture).onnx", toPath: ws.dir + "/models/\(fixture).onnx")
        try ws.writeRecipe(recipe(model: "models/\(fixture).onnx", target: target, externalData: externalData))
        return ws
    }

    struct StoredTensor: Decodable {
        var name: String
        var bytes: Int
        var external: Bool
        var location: String?
        var offset: Int?
        var length: Int?
    }

    /// Where each initializer of a model keeps its data, as the onnx package reads it (without loading the data).
    static func storage(of model: String) throws -> [StoredTensor] {
        let (status, out, err) = try Workspace.python(["-c", """
        import json, sys, math, onnx, onnx.helper as h, numpy as np
        m = onnx.load(sys.argv[1], load_external_data=False)
        rows = []
        for t in m.graph.initializer:
            ext = {e.key: e.value for e in t.external_data}
            n = math.prod(t.dims) * np.dtype(h.tensor_dtype_to_np_dtype(t.data_type)).itemsize
            rows.append({"name": t.name, "bytes": int(n), "external": t.data_location == onnx.TensorProto.EXTERNAL,
                         "location": ext.get("location"), "offset": int(ext["offset"]) if "offset" in ext else None,
                         "length": int(ext["length"]) if "length" in ext else None})
        print(json.dumps(rows))
        """, model])
        #expect(status == 0, "\(err)")
        return try JSONDecoder().decode([StoredTensor].self, from: Data(out.utf8))
    }

    static func files(in dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    }

    /// SHA256SUMS as name → digest.
    static func sums(in bundle: String) -> [String: String] {
        let text = String(decoding: FileManager.default.contents(atPath: bundle + "/SHA256SUMS") ?? Data(), as: UTF8.self)
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { out[parts[1].trimmingCharacters(in: .whitespaces)] = String(parts[0]) }
        }
        return out
    }

    static func manifestOutput(in bundle: String) throws -> [String: Any] {
        let data = FileManager.default.contents(atPath: bundle + "/manifest.json") ?? Data()
        let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return obj?["output"] as? [String: Any] ?? [:]
    }

    // (fixture, target, tensors of 1 KiB or more in the bundle: the cnn's other weights are under 1 KiB in int8)
    @Test(arguments: [("cnn", "qualcomm-hexagon-v73", 1), ("transformer", "x86-64-avx2", 13)])
    func alwaysPutsTheWeightsInTheSidecar(fixture: String, target: String, largeTensors: Int) throws {
        let ws = try Self.workspace(fixture: fixture, target: target, externalData: "always")
        let a = try ws.build(jobs: 1, cache: ws.dir + "/cA", dist: ws.dir + "/dA")
        let b = try ws.build(jobs: 2, cache: ws.dir + "/cB", dist: ws.dir + "/dB")
        let bundle = a.bundles[0].path
        #expect(Self.files(in: bundle) == ["SHA256SUMS", "manifest.json", "model.onnx", "model.onnx.data"])

        // Every initializer of 1 KiB or more is external, in model.onnx.data, page-aligned; smaller ones stay inline.
        let stored = try Self.storage(of: bundle + "/model.onnx")
        let large = stored.filter { $0.bytes >= ONNXWriter.externalThreshold }
        #expect(large.count == largeTensors, "\(large.map(\.name))")
        for t in large {
            #expect(t.external, "\(t.name) is inline")
            #expect(t.location == "model.onnx.data", "\(t.name): \(t.location ?? "no location")")
            #expect((t.offset ?? -1) >= 0 && (t.offset ?? -1) % 4096 == 0, "\(t.name): offset \(t.offset ?? -1)")
            #expect(t.length == t.bytes, "\(t.name): length \(t.length ?? -1), \(t.bytes) bytes")
        }
        for t in stored where t.bytes < ONNXWriter.externalThreshold { #expect(!t.external, "\(t.name) is external") }
        let modelBytes = FileStat.of(bundle + "/model.onnx")?.size ?? 0
        let dataBytes = FileStat.of(bundle + "/model.onnx.data")?.size ?? 0
        #expect(dataBytes >= large.reduce(0) { $0 + $1.bytes })
        #expect(modelBytes < dataBytes)

        // SHA256SUMS, the manifest and the archive name both files.
        let sums = Self.sums(in: bundle)
        #expect(Set(sums.keys) == ["manifest.json", "model.onnx", "model.onnx.data"])
        for name in ["model.onnx", "model.onnx.data"] {
            #expect(sums[name] == (try FileDigest.of(path: bundle + "/" + name)).hex, "\(name)")
        }
        let output = try Self.manifestOutput(in: bundle)
        #expect(output["file"] as? String == "model.onnx")
        let ext = output["external_data"] as? [String: Any]
        #expect(ext?["file"] as? String == "model.onnx.data")
        #expect(ext?["sha256"] as? String == sums["model.onnx.data"])
        #expect(ext?["bytes"] as? Int == dataBytes)
        let (ts, listing, te) = try Workspace.run(["/usr/bin/tar", "-tf", try #require(a.bundles[0].tar)])
        #expect(ts == 0, "\(te)")
        #expect(listing.split(separator: "\n").map(String.init).sorted()
                == ["\(target)/", "\(target)/SHA256SUMS", "\(target)/manifest.json", "\(target)/model.onnx", "\(target)/model.onnx.data"])

        // The runtimes read it like the single-file bundle.
        let c = try ONNXBuildTests.check(reference: ws.dir + "/models/\(fixture).onnx", candidate: bundle + "/model.onnx")
        #expect(c.checker)
        #expect(!c.outputs.isEmpty)
        for (name, o) in c.outputs { #expect(o.cosine_min >= 0.999, "\(fixture) \(name): cosine \(o.cosine_min)") }
        #expect(c.ops["DequantizeLinear"] != nil)

        // jobs 1 and 2, separate caches: the same bytes.
        for name in ["model.onnx", "model.onnx.data", "manifest.json", "SHA256SUMS"] {
            #expect(ws.read(bundle + "/" + name) == ws.read(b.bundles[0].path + "/" + name), "\(name) differs")
        }
        #expect(a.bundles.map(\.sha256) == b.bundles.map(\.sha256))
    }

    /// auto → always → auto: each switch re-runs only the bundle step, names the option in `pare explain`, and
    /// adds or removes the sidecar.
    @Test func switchingTheModeRerunsOnlyTheBundle() throws {
        let ws = try Self.workspace(fixture: "transformer", target: "x86-64-avx2", externalData: "auto")
        let first = try ws.build()
        #expect(first.steps.map(\.id) == ["import", "quantize", "bundle@x86-64-avx2"])
        #expect(first.executed == 3)
        let bundle = first.bundles[0].path
        #expect(Self.files(in: bundle) == ["SHA256SUMS", "manifest.json", "model.onnx"])
        #expect(try Self.manifestOutput(in: bundle)["external_data"] == nil)
        let single = ws.read(bundle + "/model.onnx")

        try ws.writeRecipe(Self.recipe(model: "models/transformer.onnx", target: "x86-64-avx2", externalData: "always"))
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        let (status, explain, err) = try Workspace.run(
            [Workspace.pareBinary, "explain", "recipe.yaml", "bundle@x86-64-avx2", "--targets", Workspace.targetsDir,
             "--cache", ws.cacheDir, "--dist", ws.distDir], cwd: ws.dir, environment: env)
        #expect(status == 0, "\(err)")
        #expect(explain.contains("would run"))
        #expect(explain.contains("config.externalData: \"auto\" → \"always\""), "\(explain)")

        let second = try ws.build()
        #expect(second.executed == 1)
        #expect(second.cached == 2)
        #expect(second.executedIDs == ["bundle@x86-64-avx2"])
        #expect(Self.files(in: bundle) == ["SHA256SUMS", "manifest.json", "model.onnx", "model.onnx.data"])
        #expect(ws.read(bundle + "/model.onnx").count < single.count / 4)

        try ws.writeRecipe(Self.recipe(model: "models/transformer.onnx", target: "x86-64-avx2", externalData: "auto"))
        let third = try ws.build()
        #expect(third.executed == 1)
        #expect(third.cached == 2)
        #expect(third.executedIDs == ["bundle@x86-64-avx2"])
        #expect(Self.files(in: bundle) == ["SHA256SUMS", "manifest.json", "model.onnx"])
        #expect(Set(Self.sums(in: bundle).keys) == ["manifest.json", "model.onnx"])
        #expect(try Self.manifestOutput(in: bundle)["external_data"] == nil)
        #expect(ws.read(bundle + "/model.onnx") == single)
        let (_, listing, _) = try Workspace.run(["/usr/bin/tar", "-tf", try #require(third.bundles[0].tar)])
        #expect(!listing.contains("model.onnx.data"))
    }

    static let limit = ONNXWriter.maxProtobufSize
    static let edge = limit - BundleWriter.externalDataMargin

    /// The `auto` rule at its boundary: payloads + skeleton reaching 2 GiB − 64 MiB get the sidecar.
    @Test(arguments: [
        (0, 0, limit, false),
        (edge - 4096 - 1, 4096, limit, false),
        (edge - 4096, 4096, limit, true),
        (edge, 0, limit, true),
        (0, edge, limit, true),
        (limit, 0, limit, true),
        (3 << 30, 10_000, limit, true),
        // Another limit moves the edge with it.
        ((100 << 20) - (64 << 20) - 1, 0, 100 << 20, false),
        ((100 << 20) - (64 << 20), 0, 100 << 20, true),
    ] as [(Int, Int, Int, Bool)])
    func sizeRuleBoundary(payload: Int, skeleton: Int, limit: Int, expected: Bool) {
        #expect(BundleWriter.needsExternalData(payloadBytes: payload, skeletonBytes: skeleton, limit: limit) == expected)
    }

    @Test func theDefaultLimitIsProtobufs() {
        #expect(ONNXWriter.maxProtobufSize == Int(Int32.max))
        #expect(BundleWriter.needsExternalData(payloadBytes: Self.edge - 1, skeletonBytes: 0) == false)
        #expect(BundleWriter.needsExternalData(payloadBytes: Self.edge, skeletonBytes: 0) == true)
    }

    /// `external_data: always` with safetensors bundles: exit code 2 and the error at the value, whether the recipe
    /// names the format (file extension, bundle.format) or only the file's content tells it.
    @Test(arguments: [
        ("models/model.safetensors", "", "bundle.format is auto, so bundles take the model's format, safetensors"),
        ("models/model.safetensors", "format: safetensors, ", "bundle.format is safetensors"),
        ("models/model.weights", "", "bundle.format is auto, so bundles take the model's format, safetensors"),
    ])
    func alwaysWithSafetensorsIsAValidationError(model: String, format: String, why: String) throws {
        let ws = try Workspace(recipe: "recipe: placeholder\n")
        if model != "models/model.safetensors" { try FileManager.default.copyItem(atPath: ws.modelPath, toPath: ws.dir + "/" + model) }
        try ws.writeRecipe("""
        recipe: st
        model: { path: \(model) }
        targets: [x86-64-avx2]
        passes:
          - quantize
        bundle: { \(format)external_data: always }

        """)
        let column = 11 + format.count + "external_data: ".count
        for args in [["validate"], ["build", "--cache", ws.cacheDir]] {
            let command = args[0]
            let (status, _, err) = try Workspace.run([Workspace.pareBinary] + args + ["recipe.yaml", "--targets", Workspace.targetsDir],
                                                     cwd: ws.dir, environment: ["NO_COLOR": "1"])
            #expect(status == 2, "\(command): \(err)")
            #expect(err.contains("recipe.yaml:6:\(column): error: external_data applies to ONNX bundles, but \(why); "
                                 + "remove external_data (or set it to auto), or build from an ONNX model"), "\(command): \(err)")
        }
        #expect(!FileManager.default.fileExists(atPath: ws.dir + "/dist"))
    }
}
