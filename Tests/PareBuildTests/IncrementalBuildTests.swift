import Foundation
import Testing
import PareBasics
import PareBuild
import PareFixtures

/// End-to-end builds with exact step and tensor counts.
@Suite struct IncrementalBuildTests {
    static let recipe = """
    recipe: t
    model: { path: models/model.safetensors }
    targets: [arm64-cortex-a78, x86-64-avx2]
    passes:
      - prune: { pattern: "2:4", include: ["*mlp*"] }
      - quantize:
          weights: { dtype: int8, granularity: per-channel }
    per_target:
      x86-64-avx2:
        quantize: { weights: { dtype: int4, granularity: per-group, group: 32 } }

    """

    // 2 layers: 25 tensors, 14 of them 2-D (6 per layer + embed + lm_head), 4 of those in the MLP.
    @Test func firstBuildRunsEverythingAndSecondBuildNothing() throws {
        let ws = try Workspace(recipe: Self.recipe)
        let first = try ws.build()
        #expect(first.steps.map(\.id) == ["import", "prune", "quantize@arm64-cortex-a78", "quantize@x86-64-avx2",
                                          "bundle@arm64-cortex-a78", "bundle@x86-64-avx2"])
        #expect(first.executed == 6)
        #expect(first.cached == 0)
        #expect(first.status(of: "import")?.tensorsComputed == 25)
        #expect(first.status(of: "prune")?.tensorsComputed == 4)
        #expect(first.status(of: "quantize@arm64-cortex-a78")?.tensorsComputed == 14)
        #expect(first.status(of: "quantize@x86-64-avx2")?.tensorsComputed == 14)
        #expect(first.bundles.count == 2)
        for b in first.bundles {
            #expect(FileManager.default.fileExists(atPath: b.path + "/model.safetensors"))
            #expect(FileManager.default.fileExists(atPath: b.path + "/manifest.json"))
            #expect(FileManager.default.fileExists(atPath: b.path + "/SHA256SUMS"))
            // No `bundle.tar` in the recipe: no archive is written (BundleTarTests covers it).
            #expect(b.tar == nil)
            #expect(!FileManager.default.fileExists(atPath: b.path + ".tar"))
        }

        let second = try ws.build()
        #expect(second.executed == 0)
        #expect(second.cached == 6)
        #expect(second.bundles.map(\.sha256) == first.bundles.map(\.sha256))
    }

    @Test func changingOnePassParameterRerunsExactlyTheDependentSteps() throws {
        let ws = try Workspace(recipe: Self.recipe)
        try ws.build()
        try ws.writeRecipe(Self.recipe.replacingOccurrences(of: "group: 32", with: "group: 64"))
        let r = try ws.build()
        #expect(r.executedIDs == ["bundle@x86-64-avx2", "quantize@x86-64-avx2"])
        #expect(r.status(of: "quantize@x86-64-avx2")?.tensorsComputed == 14)
        #expect(r.status(of: "quantize@x86-64-avx2")?.tensorsReused == 0)

        // Back to the old value: every tensor comes from the tensor cache, no kernel runs.
        try ws.writeRecipe(Self.recipe)
        let back = try ws.build()
        #expect(back.executedIDs == ["bundle@x86-64-avx2"])
    }

    @Test(arguments: [
        // (tensor replaced, computed by prune, computed by each quantize)
        ("layers.1.mlp.up.weight", 1, 1),
        ("layers.0.attn.q.weight", 0, 1),
        ("layers.0.attn_norm.weight", 0, 0),
    ])
    func replacingOneTensorRecomputesOnlyThatTensor(name: String, pruned: Int, quantized: Int) throws {
        let ws = try Workspace(recipe: Self.recipe)
        try ws.build()
        try ws.model.write(to: ws.modelPath, variants: [name: 1])
        let r = try ws.build()
        #expect(r.executed == 6)
        #expect(r.status(of: "import")?.tensorsComputed == 25)
        #expect(r.status(of: "prune")?.tensorsComputed == pruned)
        #expect(r.status(of: "prune")?.tensorsReused == 4 - pruned)
        for q in ["quantize@arm64-cortex-a78", "quantize@x86-64-avx2"] {
            #expect(r.status(of: q)?.tensorsComputed == quantized)
            #expect(r.status(of: q)?.tensorsReused == 14 - quantized)
        }
    }

    @Test func unchangedOutputStopsTheRebuild() throws {
        // A different glob that selects the same tensors: prune reruns, its output is identical, so the
        // quantize steps are cached (early cutoff); bundles rerun only because the manifest records the recipe.
        let ws = try Workspace(recipe: Self.recipe)
        try ws.build()
        try ws.writeRecipe(Self.recipe.replacingOccurrences(of: "include: [\"*mlp*\"]", with: "include: [\"*.mlp.*\"]"))
        let r = try ws.build()
        #expect(r.executedIDs == ["bundle@arm64-cortex-a78", "bundle@x86-64-avx2", "prune"])
        #expect(r.status(of: "prune")?.tensorsReused == 4)
        #expect(r.status(of: "quantize@arm64-cortex-a78")?.status == .cached)
    }

    @Test func sharedCacheAcrossWorkspacesIsReused() throws {
        let a = try Workspace(recipe: Self.recipe)
        let shared = a.dir + "/shared-cache"
        try a.build(cache: shared)
        // Same model and recipe elsewhere (another checkout): every step is a cache hit, bundles are restored.
        let b = try Workspace(recipe: Self.recipe)
        let r = try b.build(cache: shared)
        #expect(r.status(of: "import")?.status == .cached)
        #expect(r.status(of: "prune")?.status == .cached)
        #expect(r.executedIDs == ["bundle@arm64-cortex-a78", "bundle@x86-64-avx2"])
    }

    @Test func deletedBundleIsRewritten() throws {
        let ws = try Workspace(recipe: Self.recipe)
        let first = try ws.build()
        try FileManager.default.removeItem(atPath: first.bundles[0].path + "/model.safetensors")
        let r = try ws.build()
        #expect(r.executedIDs == ["bundle@arm64-cortex-a78"])
        #expect(r.bundles.map(\.sha256) == first.bundles.map(\.sha256))
    }
}
