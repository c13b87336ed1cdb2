import Foundation
import PareBasics
import Testing
@testable import PareRecipe

@Suite struct TargetProfileTests {
    static let required = ["qualcomm-hexagon-v73", "apple-ane-a17", "arm64-cortex-a78", "arm64-cortex-a55", "google-edgetpu",
                           "x86-64-avx2", "cadence-hifi4-dsp"]

    @Test func everyShippedProfileLoads() throws {
        let catalog = try TargetCatalog.load(directory: TestSupport.shippedTargets)
        for id in Self.required { #expect(catalog[id] != nil, "missing targets/\(id).yaml") }
        for (id, p) in catalog {
            #expect(p.id == id)
            #expect(p.file == TestSupport.shippedTargets + "/\(id).yaml")
            #expect(!p.sources.isEmpty)
            #expect(p.memoryMB > 0)
            #expect(!p.formats.isEmpty)
            #expect(p.weights.granularities.contains(.perGroup) == !p.weights.groupSizes.isEmpty, "\(id)")
            #expect(p.fieldLocations["weights.dtypes"]?.file == p.file)
        }
        #expect(Set(catalog.values.map(\.kind)).isSuperset(of: [.npu, .cpu, .dsp]))
    }

    @Test("shipped profiles say what the hardware runs", arguments: [
        ("google-edgetpu", ["int8", "uint8"], [WeightGranularity.perTensor, .perChannel]),
        ("arm64-cortex-a78", WeightSupport.knownDTypes, WeightGranularity.allCases),
        ("x86-64-avx2", WeightSupport.knownDTypes, WeightGranularity.allCases),
        ("qualcomm-hexagon-v73", ["int8", "uint8", "int4", "fp16"], [.perTensor, .perChannel]),
        ("apple-ane-a17", ["int8", "uint8", "fp16"], [.perTensor, .perChannel]),
        ("cadence-hifi4-dsp", ["int8"], [.perTensor, .perChannel]),
    ] as [(String, [String], [WeightGranularity])])
    func shippedSupport(_ id: String, _ dtypes: [String], _ granularities: [WeightGranularity]) throws {
        let p = try TargetCatalog.loadProfile(path: TestSupport.shippedTargets + "/\(id).yaml")
        #expect(p.weights.dtypes == dtypes)
        #expect(p.weights.granularities == granularities)
    }

    @Test func codableLeavesOutWhereItWasLoaded() throws {
        let p = try TargetCatalog.loadProfile(path: TestSupport.shippedTargets + "/google-edgetpu.yaml")
        let data = try CanonicalJSON.encode(p)
        let back = try CanonicalJSON.decode(TargetProfile.self, from: data)
        var expected = p
        expected.file = ""
        expected.fieldLocations = [:]
        #expect(back == expected)
        #expect(!String(decoding: data, as: UTF8.self).contains(TestSupport.shippedTargets))
        #expect(p.compute == ["int8_tops": 4])
        #expect(p.memoryMB == 8)
    }

    @Test func locateWalksUpToTheTargetsFolder() throws {
        let root = TestSupport.repoRoot()
        #expect(TargetCatalog.locate(forRecipe: root + "/Tests/PareRecipeTests/x.yaml") == root + "/targets")
        #expect(TargetCatalog.locate(forRecipe: root + "/x.yaml") == root + "/targets")
        let dir = try TestSupport.tempDir("locate")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TestSupport.write(["proj/targets/t.yaml": "", "proj/recipes/deep/r.yaml": ""], in: dir)
        #expect(TargetCatalog.locate(forRecipe: dir + "/proj/recipes/deep/r.yaml") == dir + "/proj/targets")
        #expect(TargetCatalog.locate(forRecipe: dir + "/proj/targets/../recipes/r.yaml") == dir + "/proj/targets")
    }

    static let valid = """
        target: dev
        name: Dev board
        kind: npu
        vendor: Acme
        weights:
          dtypes: [int8, int4]
          granularities: [per-channel, per-group]
          group_sizes: [32, 64]
          symmetric_only: true
        activations: { dtypes: [uint8], static_only: true }
        sparsity: { patterns: ["2:4", "1:4"] }
        memory_mb: 16.5
        compute: { int8_tops: 2, fp16_tflops: 0.5 }
        bandwidth_gbs: 8
        formats: [onnx, gguf]
        runtime_ops: [MatMulNBits]
        sources: ["datasheet"]
        """

    @Test func decodesEveryField() throws {
        let dir = try TestSupport.tempDir("profile")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TestSupport.write(["dev.yaml": Self.valid], in: dir)
        let p = try TargetCatalog.loadProfile(path: dir + "/dev.yaml")
        #expect(p == TargetProfile(
            id: "dev", name: "Dev board", kind: .npu, vendor: "Acme",
            weights: WeightSupport(dtypes: ["int8", "int4"], granularities: [.perChannel, .perGroup], groupSizes: [32, 64],
                                   symmetricOnly: true),
            activations: ActivationSupport(dtypes: ["uint8"], staticOnly: true),
            sparsityPatterns: [NMPattern(n: 2, m: 4), NMPattern(n: 1, m: 4)], memoryMB: 16.5,
            compute: ["int8_tops": 2, "fp16_tflops": 0.5], bandwidthGBs: 8, formats: ["onnx", "gguf"],
            runtimeOps: ["MatMulNBits"], sources: ["datasheet"], file: dir + "/dev.yaml", fieldLocations: p.fieldLocations))
        #expect(p.fieldLocations["weights.dtypes"] == Loc(file: dir + "/dev.yaml", line: 6, column: 11))
        #expect(p.fieldLocations["memory_mb"] == Loc(file: dir + "/dev.yaml", line: 12, column: 12))
        #expect(p.fieldLocations["compute.fp16_tflops"] == Loc(file: dir + "/dev.yaml", line: 13, column: 39))
    }

    @Test func profileErrorsAreAllReportedWithLocations() throws {
        let dir = try TestSupport.tempDir("profile-errors")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TestSupport.write([
            "good.yaml": Self.valid.replacingOccurrences(of: "target: dev", with: "target: good"),
            "bad.yaml": """
                target: badd
                name: Bad
                kind: tpu
                vendr: Acme
                weights:
                  dtypes: [int8, int7, int8]
                  granularities: [per-channel]
                  group_sizes: [32]
                memory_mb: -1
                compute: { int8_topps: 3 }
                formats: [tflite]
                sources: []
                """,
            "other.yaml": "target: other\nname: O\nkind: cpu\nvendor: V\nweights: { dtypes: [fp32], granularities: [per-group] }\n"
                + "memory_mb: 1\nformats: [onnx]\nsources: [s]\n",
            "notes.txt": "ignored: not a .yaml file",
        ], in: dir)
        var messages: [String] = []
        do {
            _ = try TargetCatalog.load(directory: dir)
            Issue.record("expected errors")
        } catch let e as DiagnosticError {
            messages = e.diagnostics.map(\.description)
        }
        let b = dir + "/bad.yaml", o = dir + "/other.yaml"
        #expect(messages == [
            "\(b):1:9: error: target 'badd' must equal the file name without .yaml ('bad'); rename one of them",
            "\(b):3:7: error: 'kind' 'tpu' is not one of npu, dsp, cpu, gpu (did you mean 'cpu'?)",
            "\(b):4:1: error: unknown key 'vendr' in the target profile (did you mean 'vendor'?)",
            "\(b):6:18: error: 'weights.dtypes' has 'int7', which is not one of int8, uint8, int4, uint4, fp16, bf16, fp32 (did you mean 'int4'?)",
            "\(b):6:24: error: 'weights.dtypes' lists 'int8' twice; remove the repeat",
            "\(b):8:3: error: 'weights.group_sizes' is given but 'weights.granularities' does not list per-group; add per-group or remove group_sizes",
            "\(b):9:12: error: 'memory_mb' must be a positive number, got -1",
            "\(b):10:12: error: compute figure 'int8_topps' must be named <dtype>_<unit> with a unit of tops, gops, tflops or gflops, e.g. int8_tops or fp16_tflops",
            "\(b):11:11: error: 'formats' has 'tflite', which is not one of safetensors, onnx, gguf",
            "\(b):12:10: error: 'sources' must not be empty; e.g. sources: [\"https://vendor.example/datasheet.pdf\"]",
            "\(o):5:10: error: missing required key 'group_sizes' in weights (per-group is listed); add it, e.g. group_sizes: [32, 64, 128]",
        ])
    }
}
