import Foundation
import PareBasics
import Testing
@testable import PareRecipe

@Suite struct TargetCheckTests {
    /// Two small profiles written for these tests, so that their line numbers are fixed.
    static let profiles = [
        "targets/google-edgetpu.yaml": """
            target: google-edgetpu
            name: Edge TPU
            kind: npu
            vendor: Google
            weights:
              dtypes: [int8, uint8]
              granularities: [per-tensor, per-channel]
            memory_mb: 8
            formats: [onnx]
            sources: [coral.ai]
            """,
        "targets/sym.yaml": """
            target: sym
            name: Symmetric NPU
            kind: npu
            vendor: Acme
            weights:
              dtypes: [int8, int4, fp16]
              granularities: [per-tensor, per-channel, per-group]
              group_sizes: [64, 128]
              symmetric_only: true
            memory_mb: 64
            formats: [onnx, safetensors]
            sources: [datasheet]
            """,
    ]

    /// Loads `recipe` (as recipes/a.yaml) and checks it against the test profiles; returns rendered diagnostics.
    static func check(_ recipe: String) throws -> (dir: String, messages: [String]) {
        let dir = try TestSupport.tempDir("check")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TestSupport.write(profiles, in: dir)
        let catalog = try TargetCatalog.load(directory: dir + "/targets")
        let r = try TestSupport.load(recipe)
        return (dir, TargetCheck.check(recipe: r, targets: catalog).map(\.description))
    }

    static func recipe(targets: String, passes: String, tail: String = "") -> String {
        "recipe: demo\nmodel: { path: ../models/m.onnx }\ntargets: \(targets)\npasses:\n\(passes)\n\(tail)"
    }

    @Test func int4OnEdgeTPU() throws {
        let (dir, messages) = try Self.check(Self.recipe(targets: "[google-edgetpu]", passes: """
              - quantize:
                  weights: { dtype: int4 }
            """))
        #expect(messages == [
            "recipes/a.yaml:6:25: error: quantize emits int4 weights but target 'google-edgetpu' runs only int8, uint8; "
            + "use one of those, or override it for this target under per_target: { google-edgetpu: { quantize: ... } }\n"
            + "\(dir)/targets/google-edgetpu.yaml:6:11: note: weights.dtypes of google-edgetpu",
        ])
    }

    @Test func perGroupOnAPerChannelTarget() throws {
        let (dir, messages) = try Self.check(Self.recipe(targets: "[google-edgetpu]", passes: """
              - quantize: { id: q8, weights: { granularity: per-group, group: 64 } }
            """))
        #expect(messages == [
            "recipes/a.yaml:5:49: error: quantize 'q8' emits per-group weights but target 'google-edgetpu' runs only per-tensor, "
            + "per-channel; use one of those, or override it for this target under per_target: { google-edgetpu: { q8: ... } }\n"
            + "\(dir)/targets/google-edgetpu.yaml:7:18: note: weights.granularities of google-edgetpu",
        ])
    }

    @Test func asymmetricOnSymmetricOnlyAndGroupSize() throws {
        let (dir, messages) = try Self.check(Self.recipe(targets: "[sym]", passes: """
              - quantize:
                  weights: { dtype: int4, granularity: per-group, group: 32, symmetric: false }
            """))
        #expect(messages == [
            "recipes/a.yaml:6:62: error: quantize emits per-group weights with group 32 but target 'sym' runs only group sizes 64, 128; "
            + "use one of those, or override it for this target under per_target: { sym: { quantize: ... } }\n"
            + "\(dir)/targets/sym.yaml:8:16: note: weights.group_sizes of sym",
            "recipes/a.yaml:6:77: error: quantize emits asymmetric weights but target 'sym' runs only symmetric weights (zero point 0); "
            + "set symmetric: true, or override it for this target under per_target\n"
            + "\(dir)/targets/sym.yaml:9:19: note: weights.symmetric_only of sym",
        ])
    }

    @Test func castDTypeBundleFormatAndUnknownTarget() throws {
        let (dir, messages) = try Self.check(Self.recipe(targets: "[sym, google-edgetpo, nothing-like-it]", passes: """
              - cast: { dtype: bf16, include: ["*head*"] }
            """, tail: "bundle: { format: gguf }\n"))
        #expect(messages == [
            "recipes/a.yaml:5:20: error: cast emits bf16 weights but target 'sym' runs only int8, int4, fp16; "
            + "use one of those, or override it for this target under per_target: { sym: { cast: ... } }\n"
            + "\(dir)/targets/sym.yaml:6:11: note: weights.dtypes of sym",
            "recipes/a.yaml:6:19: error: bundle format gguf is not read by target 'sym', whose runtime reads only onnx, safetensors; "
            + "set bundle.format to one of those\n"
            + "\(dir)/targets/sym.yaml:11:10: note: formats of sym",
            "recipes/a.yaml:3:16: error: unknown target 'google-edgetpo' (did you mean 'google-edgetpu'?); "
            + "each target needs a profile targets/<name>.yaml",
            "recipes/a.yaml:3:32: error: unknown target 'nothing-like-it'; known targets: google-edgetpu, sym; "
            + "each target needs a profile targets/<name>.yaml",
        ])
    }

    @Test func autoBundleFormatFollowsTheModel() throws {
        let (dir, messages) = try Self.check("""
            recipe: demo
            model: { path: m.gguf }
            targets: [google-edgetpu]
            passes: [quantize]
            """)
        #expect(messages == [
            "recipes/a.yaml:2:16: error: bundle format auto, the model's format: gguf is not read by target 'google-edgetpu', "
            + "whose runtime reads only onnx; set bundle.format to one of those\n"
            + "\(dir)/targets/google-edgetpu.yaml:9:10: note: formats of google-edgetpu",
        ])
    }

    @Test func perTargetFixesAndIsBlamed() throws {
        // The pass wants int4 per-group; per_target brings the Edge TPU back to int8 per-channel (clean), while the
        // override written in per_target for sym is what sym rejects, so the error points into per_target.
        let (dir, messages) = try Self.check(Self.recipe(targets: "[google-edgetpu, sym]", passes: """
              - quantize:
                  weights: { dtype: int4, granularity: per-group, group: 64 }
                  overrides:
                    - match: "*attn*"
                      weights: { dtype: int8 }
            """, tail: """
            per_target:
              google-edgetpu:
                quantize: { weights: { dtype: int8, granularity: per-channel } }
              sym:
                quantize: { overrides: [{ match: "*attn*", weights: { dtype: uint8 } }] }
            """))
        #expect(messages == [
            "recipes/a.yaml:14:66: error: quantize override 1 (match *attn*) emits uint8 weights but target 'sym' runs only int8, int4, fp16; "
            + "use one of those, or override it for this target under per_target: { sym: { quantize: ... } }\n"
            + "\(dir)/targets/sym.yaml:6:11: note: weights.dtypes of sym",
        ])
    }

    @Test func shippedProfilesNotePointAtTheirFields() throws {
        let catalog = try TargetCatalog.load(directory: TestSupport.shippedTargets)
        let r = try TestSupport.load(Self.recipe(targets: "[google-edgetpu, cadence-hifi4-dsp, arm64-cortex-a78, x86-64-avx2]", passes: """
              - prune: { pattern: "2:4" }
              - quantize: { weights: { dtype: int4, granularity: per-group, group: 32 } }
            """))
        let diags = TargetCheck.check(recipe: r, targets: catalog)
        // The CPUs run everything; the Edge TPU and the HiFi 4 reject int4 and per-group; N:M is never an error.
        #expect(diags.count == 4, "\(diags)")
        for d in diags {
            #expect(d.location?.file == "recipes/a.yaml")
            #expect(d.notes.count == 1)
            let id = d.message.split(separator: "'")[1]
            let profile = try #require(catalog[String(id)])
            let field = d.message.contains("per-group") ? "weights.granularities" : "weights.dtypes"
            #expect(d.notes[0].location == profile.fieldLocations[field])
            #expect(d.notes[0].message == "\(field) of \(id)")
        }
    }
}
