import Foundation
import Testing
import PareBasics
import PareBuild

@Suite struct BadInputTests {
    static let recipe = """
    recipe: bad
    model: { path: models/model.safetensors }
    targets: [arm64-cortex-a78]
    passes:
      - quantize: { weights: { dtype: int8 } }

    """

    @Test func truncatedModelIsAPlanTimeErrorNamingTheFile() throws {
        let ws = try Workspace(recipe: Self.recipe)
        let data = ws.read(ws.modelPath)
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: ws.modelPath))
        #expect(throws: DiagnosticError.self) { try ws.build() }
        do { try ws.build() } catch let e as DiagnosticError {
            #expect(e.description.contains("model.safetensors"))
            #expect(e.description.contains("recipe.yaml:2:"))
        }
        #expect(!FileManager.default.fileExists(atPath: ws.distDir + "/bad/arm64-cortex-a78"))
    }

    @Test func missingModelNamesTheRecipeLine() throws {
        let ws = try Workspace(recipe: Self.recipe.replacingOccurrences(of: "models/model.safetensors", with: "models/nope.safetensors"))
        do {
            try ws.build()
            Issue.record("expected an error")
        } catch let e as DiagnosticError {
            #expect(e.description.hasPrefix(ws.recipePath + ":2:"))
            #expect(e.description.contains("nope.safetensors"))
        }
    }

    @Test func groupThatDoesNotDivideTheRowIsAPlanTimeError() throws {
        // width 64 rows cannot be split into groups of 48... 48 is not a listed size either; use 128 > 64.
        let ws = try Workspace(recipe: Self.recipe.replacingOccurrences(of: "{ dtype: int8 }", with: "{ dtype: int4, granularity: per-group, group: 128 }"))
        do {
            try ws.build()
            Issue.record("expected an error")
        } catch let e as DiagnosticError {
            #expect(e.description.contains("group 128 does not divide the row length 64"))
            #expect(e.description.contains("recipe.yaml:5:"))
        }
    }

    /// Asymmetric fit: mse has fractional zero points, which do not keep a pruned tensor's zeros: a plan-time
    /// error at the `fit` of the quantize pass (symmetric fit: mse is fine), before any compute.
    @Test(arguments: [false, true])
    func fractionalZeroPointsAfterPruneAreAPlanTimeError(symmetric: Bool) throws {
        let ws = try Workspace(recipe: """
        recipe: t
        model: { path: models/model.safetensors }
        targets: [x86-64-avx2]
        passes:
          - prune: { pattern: "2:4", include: ["*mlp*"] }
          - quantize: { weights: { dtype: int4, granularity: per-group, group: 32, symmetric: \(symmetric), fit: mse } }

        """)
        do {
            let r = try ws.build()
            #expect(symmetric, "expected a plan-time error")
            #expect(r.executed > 0)
        } catch let e as DiagnosticError {
            #expect(!symmetric, "\(e)")
            #expect(e.description.contains("recipe.yaml:6:99: error: 'quantize' quantizes tensor"), "\(e)")
            #expect(e.description.contains("fractional zero points do not keep the zeros 'prune' made"), "\(e)")
            #expect(!FileManager.default.fileExists(atPath: ws.dir + "/dist"))
        }
    }

    @Test func float16ComputeNeedsAnONNXModelAndFloat16Activations() throws {
        let ws = try Workspace(recipe: Self.recipe.replacingOccurrences(of: "  - quantize: { weights: { dtype: int8 } }", with: "  - cast: { dtype: fp16, compute: float16 }"))
        do {
            try ws.build()
            Issue.record("expected an error")
        } catch let e as DiagnosticError {
            #expect(e.description.contains("recipe.yaml:5:"))
            #expect(e.description.contains("safetensors model"))
        }
        try ws.writeRecipe(Self.recipe.replacingOccurrences(of: "  - quantize: { weights: { dtype: int8 } }", with: "  - cast: { dtype: bf16, compute: float16 }"))
        do {
            try ws.build()
            Issue.record("expected an error")
        } catch let e as DiagnosticError {
            #expect(e.description.contains("compute: float16 needs dtype: fp16"))
        }
    }

    @Test func unwritableDistFailsWithoutPartialBundle() throws {
        let ws = try Workspace(recipe: Self.recipe)
        let blocker = ws.dir + "/blocker"
        try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
        #expect(throws: BuildError.self) { try ws.build(dist: blocker + "/dist") }
        // The cache holds no half-written entries: verify finds nothing corrupt, and a good build still works.
        let v = try CacheMaintenance.verify(root: ws.cacheDir, workers: 2)
        #expect(v.corrupt.isEmpty)
        let r = try ws.build()
        #expect(r.status(of: "quantize")?.status == .cached)
        #expect(r.status(of: "bundle@arm64-cortex-a78")?.status == .executed)
    }

    @Test func corruptBlobIsFoundRemovedAndRebuilt() throws {
        let ws = try Workspace(recipe: Self.recipe)
        try ws.build()
        // Corrupt the biggest blob (a tensor).
        let objects = ws.cacheDir + "/objects/sha256"
        let files = FileManager.default.enumerator(atPath: objects)!.compactMap { $0 as? String }
            .map { objects + "/" + $0 }.filter { FileStat.of($0) != nil }
        let biggest = files.max { FileStat.of($0)!.size < FileStat.of($1)!.size }!
        var bytes = ws.read(biggest)
        bytes[0] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: biggest))
        let v = try CacheMaintenance.verify(root: ws.cacheDir, workers: 2)
        #expect(v.corrupt == [biggest])
        #expect(!FileManager.default.fileExists(atPath: biggest))
        try FileManager.default.removeItem(atPath: ws.distDir)
        let r = try ws.build()
        #expect(r.status(of: "import")?.status == .executed)
    }

    @Test func gcShrinksTheCacheAndBuildsRecover() throws {
        let ws = try Workspace(recipe: Self.recipe)
        try ws.build()
        let before = CacheMaintenance.stats(root: ws.cacheDir)
        #expect(before.blobs > 0)
        let g = CacheMaintenance.gc(root: ws.cacheDir, maxBytes: before.totalBytes / 2)
        #expect(g.remainingBytes <= before.totalBytes / 2)
        #expect(g.removedFiles > 0)
        _ = CacheMaintenance.gc(root: ws.cacheDir, maxBytes: 0)
        #expect(CacheMaintenance.stats(root: ws.cacheDir).totalBytes == 0)
        try FileManager.default.removeItem(atPath: ws.distDir)
        let r = try ws.build()
        #expect(r.executed == 3)
    }
}
