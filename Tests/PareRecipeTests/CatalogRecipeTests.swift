import Foundation
import Testing
import PareBasics
@testable import PareRecipe

/// The catalog passes in recipes (fold, palettize, lowrank, distill, gptq, mixed-precision, structured prune):
/// defaults, per_target merging, order rules, calibration needs and target checks, with located errors.
@Suite struct CatalogRecipeTests {
    static func recipe(_ passes: String, data: Bool = true, targets: String = "x86-64-avx2", extra: String = "") -> String {
        """
        recipe: r
        model: { path: ../models/m.onnx }
        \(data ? "data:\n  calibration: { path: ../data/calib.npz, samples: 8 }" : "")
        targets: [\(targets)]
        passes:
        \(passes)
        \(extra)
        """
    }

    @Test func defaults() throws {
        let r = try TestSupport.load(Self.recipe("""
              - fold
              - prune: { structure: channels, sparsity: 0.25 }
              - lowrank: { energy: 0.9 }
              - distill
              - palettize
              - gptq
              - mixed-precision: { max_size_mb: 2 }
            """))
        let c = r.passes.map(\.config)
        #expect(c[0] == .fold(FoldConfig(batchNorm: true, constants: true, identities: true)))
        #expect(c[1] == .prune(PruneConfig(sparsity: 0.25, structure: .channels, importance: .l1, roundTo: 1)))
        #expect(c[2] == .lowrank(LowRankConfig(rule: .energy(0.9), conv: true, roundTo: 1)))
        #expect(c[3] == .distill(DistillConfig(method: "layerwise", damping: 0.01)))
        #expect(c[4] == .palettize(PalettizeConfig(bits: 4, groupChannels: 0, iterations: 30, seed: 0)))
        #expect(c[5] == .gptq(GPTQConfig(weights: WeightQuantSpec(dtype: .int4, granularity: .perGroup, group: 32), damping: 0.01,
                                         actOrder: false, blockSize: 128)))
        #expect(c[6] == .mixedPrecision(MixedPrecisionConfig(candidates: [4, 8, 16], budget: .maxSizeMB(2), group: 32)))
        #expect(r.passes.map(\.config.isModelPass) == [true, true, true, true, false, true, true])
        #expect(r.passes.map(\.config.needsCalibration) == [false, false, false, true, false, true, true])
    }

    @Test func weightPruneEncodingIsUnchanged() throws {
        // Weight pruning encodes as before (no channel keys), so existing cache keys do not move.
        let json = String(decoding: try CanonicalJSON.encode(PassConfig.prune(PruneConfig(sparsity: 0.5))), as: UTF8.self)
        #expect(json == #"{"prune":{"method":"magnitude","scope":"per-tensor","selection":{"exclude":[],"include":["*"],"keep_1d":true,"min_elements":1},"sparsity":0.5}}"#)
        let round = try JSONDecoder().decode(PassConfig.self, from: Data(json.utf8))
        #expect(round == .prune(PruneConfig(sparsity: 0.5)))
    }

    @Test func perTargetOverridesCatalogKeys() throws {
        let r = try TestSupport.load(Self.recipe("  - lowrank: { rank: 8 }\n  - palettize: { bits: 4, group_channels: 8 }",
                                                 targets: "x86-64-avx2, arm64-cortex-a78",
                                                 extra: "per_target:\n  arm64-cortex-a78:\n    lowrank: { energy: 0.95 }\n    palettize: { bits: 2 }\n"))
        #expect(r.passes(for: "x86-64-avx2").map(\.config) == [.lowrank(LowRankConfig(rule: .rank(8))), .palettize(PalettizeConfig(bits: 4, groupChannels: 8))])
        // The overlay replaces the rank rule as a whole and merges palettize key by key.
        let arm = r.passes(for: "arm64-cortex-a78").map(\.config)
        #expect(arm[1] == .palettize(PalettizeConfig(bits: 2, groupChannels: 8)))
        if case .lowrank = arm[0] {} else { Issue.record("lowrank lost") }
    }

    @Test(arguments: [
        // (passes, data, expected error fragment, line:column)
        ("  - lowrank", true, "lowrank needs one of 'rank'", "7:5"),
        ("  - lowrank: { rank: 4, energy: 0.9 }", true, "give one of 'rank', 'energy', not 2", "7:25"),
        ("  - lowrank: { ratio: 1.5 }", true, "'ratio' must be in (0, 1]", "7:23"),
        ("  - palettize: { bits: 9 }", true, "'bits' must be between 1 and 8", "7:24"),
        ("  - mixed-precision: { candidates: [4] , max_size_mb: 1 }", true, "at least two different bit widths", "7:36"),
        ("  - mixed-precision: { candidates: [4, 5], max_size_mb: 1 }", true, "candidate 5 bits is not one of", "7:40"),
        ("  - mixed-precision", true, "mixed-precision needs a budget", "7:5"),
        ("  - gptq: { weights: { fit: mse } }", true, "gptq chooses its own codes", "7:29"),
        ("  - gptq", false, "no data.calibration", "6:5"),
        ("  - quantize\n  - distill", false, "no data.calibration", "7:5"),
        ("  - distill", true, "has nothing to recover", "7:5"),
        ("  - quantize\n  - fold", true, "fold comes after quantize", "8:5"),
        ("  - gptq\n  - lowrank: { rank: 4 }", true, "lowrank comes after gptq", "8:5"),
        ("  - prune: { structure: channels, pattern: \"2:4\" }", true, "structure: channels removes whole channels", "7:44"),
        ("  - prune: { sparsity: 0.5, importance: l2 }", true, "'importance' applies only to structure: channels", "7:29"),
        ("  - prune: { structure: channels, sparsity: 0.5, importance: activation }", false, "ranks channels by their activations", "6:62"),
        ("  - fold: { include: [\"*\"] }", true, "unknown key 'include' in fold", "7:13"),
    ])
    func locatedErrors(passes: String, data: Bool, fragment: String, at: String) {
        let errors = TestSupport.errors(Self.recipe(passes, data: data))
        #expect(errors.contains { $0.contains(fragment) && $0.contains("a.yaml:\(at):") }, "\(errors)")
    }

    @Test func targetChecks() throws {
        let dir = try TestSupport.tempDir("catalog")
        try TestSupport.write(["recipes/a.yaml": Self.recipe("  - palettize: { bits: 3 }\n  - gptq: { weights: { dtype: int4, granularity: per-group, group: 128 } }",
                                                             targets: "apple-ane-a17, google-edgetpu")], in: dir)
        let recipe = try RecipeLoader.load(path: dir + "/recipes/a.yaml")
        let catalog = try TargetCatalog.load(directory: TestSupport.shippedTargets)
        let d = TargetCheck.check(recipe: recipe, targets: catalog).map(\.description)
        // The ANE runs 3-bit tables natively; the Edge TPU has none and runs no float weights.
        #expect(!d.contains { $0.contains("palettize") && $0.contains("apple-ane-a17") })
        #expect(d.contains { $0.contains("palettize emits 3-bit palettized weights, but target 'google-edgetpu' has no native look-up-table weights") })
        #expect(d.contains { $0.contains("gptq emits int4 weights but target 'google-edgetpu'") })
    }
}
