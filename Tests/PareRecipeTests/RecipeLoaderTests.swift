import Foundation
import PareBasics
import Testing
@testable import PareRecipe

/// The example from docs/recipe-reference.md (and the issue), line for line.
let exampleRecipe = """
    recipe: keyboard-suggest
    model:
      path: ../models/demo.safetensors
      format: auto
    targets: [arm64-cortex-a78, x86-64-avx2]
    passes:
      - prune: { method: magnitude, sparsity: 0.5, scope: per-tensor }
      - prune: { id: prune-24, pattern: "2:4", exclude: ["*embed*"] }
      - cast: { dtype: fp16, include: ["*lm_head*"] }
      - quantize:
          weights: { dtype: int8, granularity: per-channel, symmetric: true }
          exclude: ["*lm_head*"]
          overrides:
            - match: "*attn*"
              weights: { dtype: int4, granularity: per-group, group: 32 }
            - match: ["*head*"]
              skip: true
    bundle: { format: auto, tar: true }
    per_target:
      x86-64-avx2:
        quantize: { weights: { granularity: per-tensor } }
    """

@Suite struct RecipeLoaderTests {
    @Test func loadsTheExample() throws {
        let r = try TestSupport.load(exampleRecipe, path: "recipes/kbd.yaml")
        #expect(r.name == "keyboard-suggest")
        #expect(r.file == "recipes/kbd.yaml")
        #expect(r.sourceFiles == ["recipes/kbd.yaml"])
        #expect(r.model.givenPath == "../models/demo.safetensors")
        #expect(r.model.path == "models/demo.safetensors")
        #expect(r.model.format == .auto)
        #expect(r.model.resolvedFormat == .safetensors)
        #expect(r.model.location == Loc(file: "recipes/kbd.yaml", line: 3, column: 9))
        #expect(r.targets.map(\.value) == ["arm64-cortex-a78", "x86-64-avx2"])
        #expect(r.targets[1].location == Loc(file: "recipes/kbd.yaml", line: 5, column: 29))
        #expect(r.bundle == BundleSpec(format: .auto, tar: true, location: Loc(file: "recipes/kbd.yaml", line: 18, column: 19)))
        #expect(r.perTargetLocations == ["x86-64-avx2": Loc(file: "recipes/kbd.yaml", line: 20, column: 3)])

        #expect(r.passes.map(\.id) == ["prune", "prune-24", "cast", "quantize"])
        #expect(r.passes.map(\.index) == [0, 1, 2, 3])
        #expect(r.passes.map(\.location.line) == [7, 8, 9, 10])
        #expect(r.passes[0].config == .prune(PruneConfig(sparsity: 0.5)))
        #expect(r.passes[1].config == .prune(PruneConfig(selection: TensorSelection(exclude: [Glob("*embed*")]),
                                                           pattern: NMPattern(n: 2, m: 4))))
        #expect(r.passes[2].config == .cast(CastConfig(selection: TensorSelection(include: [Glob("*lm_head*")]), dtype: .fp16)))
        let q = QuantizeConfig(
            selection: TensorSelection(exclude: [Glob("*lm_head*")]),
            weights: WeightQuantSpec(dtype: .int8, granularity: .perChannel, symmetric: true),
            overrides: [
                QuantOverride(match: [Glob("*attn*")], weights: WeightQuantSpec(dtype: .int4, granularity: .perGroup, group: 32)),
                QuantOverride(match: [Glob("*head*")], weights: WeightQuantSpec(), skip: true),
            ])
        #expect(r.passes[3].config == .quantize(q))
    }

    @Test func fieldLocations() throws {
        let r = try TestSupport.load(exampleRecipe, path: "recipes/kbd.yaml")
        func loc(_ line: Int, _ col: Int) -> Loc { Loc(file: "recipes/kbd.yaml", line: line, column: col) }
        #expect(r.passes[0].fieldLocations == ["method": loc(7, 22), "sparsity": loc(7, 43), "scope": loc(7, 55)])
        #expect(r.passes[1].fieldLocations == ["id": loc(8, 18), "pattern": loc(8, 37), "exclude": loc(8, 53)])
        let q = r.passes[3].fieldLocations
        #expect(q["weights"] == loc(11, 16))
        #expect(q["weights.dtype"] == loc(11, 25))
        #expect(q["weights.granularity"] == loc(11, 44))
        #expect(q["weights.symmetric"] == loc(11, 68))
        #expect(q["weights.group"] == nil)
        #expect(q["exclude"] == loc(12, 16))
        #expect(q["overrides"] == loc(14, 9))
        #expect(q["overrides[0]"] == loc(14, 11))
        #expect(q["overrides[0].match"] == loc(14, 18))
        #expect(q["overrides[0].weights.dtype"] == loc(15, 29))
        #expect(q["overrides[0].weights.group"] == loc(15, 66))
        #expect(q["overrides[1].match"] == loc(16, 18))
        #expect(q["overrides[1].skip"] == loc(17, 17))
        #expect(q["overrides[1].weights"] == nil)
        #expect(r.passes[3].location(of: "weights.group", "weights") == loc(11, 16))
        #expect(r.passes[3].location(of: "include") == r.passes[3].location)
    }

    @Test func defaultsFillEveryField() throws {
        let r = try TestSupport.load("""
            recipe: r1
            model: { path: /abs/m.gguf }
            targets: [x86-64-avx2]
            passes: [prune: { sparsity: 0.25 }, quantize]
            """)
        #expect(r.model.path == "/abs/m.gguf")
        #expect(r.model.resolvedFormat == .gguf)
        #expect(r.bundle == BundleSpec(format: .auto, tar: false, location: nil))
        #expect(r.bundle.resolvedFormat(model: r.model) == .gguf)
        #expect(r.passes[1].config == .quantize(QuantizeConfig(
            selection: TensorSelection(include: [Glob("*")], exclude: [], minElements: 1, keep1D: true),
            weights: WeightQuantSpec(dtype: .int8, granularity: .perChannel, group: 32, symmetric: true), overrides: [])))
        #expect(r.passes[1].fieldLocations.isEmpty)
        #expect(r.passes[0].config == .prune(PruneConfig(method: "magnitude", sparsity: 0.25, scope: .perTensor, pattern: nil)))
        #expect(r.passes(for: "x86-64-avx2") == r.passes)
    }

    struct IDCase: Sendable, CustomTestStringConvertible {
        var passes: String
        var ids: [String]
        var testDescription: String { passes }
    }

    @Test("default pass ids", arguments: [
        IDCase(passes: "[quantize]", ids: ["quantize"]),
        IDCase(passes: "[prune: {sparsity: 0.1}, prune: {id: prune-24, pattern: \"2:4\"}, prune: {sparsity: 0.2}]",
               ids: ["prune", "prune-24", "prune-3"]),
        IDCase(passes: "[cast: {dtype: fp16, include: [a]}, cast: {dtype: bf16, include: [b]}, quantize, quantize]",
               ids: ["cast", "cast-2", "quantize", "quantize-2"]),
        IDCase(passes: "[quantize: {id: q.attn_1}, quantize]", ids: ["q.attn_1", "quantize-2"]),
    ])
    func defaultIDs(_ c: IDCase) throws {
        let r = try TestSupport.load("recipe: r\nmodel: {path: m.onnx}\ntargets: [t]\npasses: \(c.passes)\n")
        #expect(r.passes.map(\.id) == c.ids)
    }

    @Test func modelPathResolution() throws {
        for (recipe, given, expected) in [
            ("a.yaml", "m.onnx", "m.onnx"),
            ("recipes/a.yaml", "../models/./m.onnx", "models/m.onnx"),
            ("../x/recipes/a.yaml", "../../m.onnx", "../m.onnx"),
            ("/srv/p/recipes/a.yaml", "../models//m.onnx", "/srv/p/models/m.onnx"),
            ("recipes/a.yaml", "/data/m.onnx", "/data/m.onnx"),
        ] {
            let r = try TestSupport.load("recipe: r\nmodel: {path: \"\(given)\"}\ntargets: [t]\npasses: [quantize]\n", path: recipe)
            #expect(r.model.path == expected, "\(recipe) + \(given)")
            #expect(r.model.givenPath == given)
        }
    }

    @Test func yamlAnchorsAndMergeKeys() throws {
        let r = try TestSupport.load("""
            recipe: anchors
            model: { path: m.onnx }
            targets: [t]
            passes:
              - quantize:
                  weights: &w4 { dtype: int4, granularity: per-group, group: 64 }
              - quantize:
                  include: ["*mlp*"]
                  weights:
                    <<: *w4
                    group: 128
            """)
        guard case .quantize(let a) = r.passes[0].config, case .quantize(let b) = r.passes[1].config else {
            Issue.record("expected two quantize passes"); return
        }
        #expect(a.weights == WeightQuantSpec(dtype: .int4, granularity: .perGroup, group: 64))
        #expect(b.weights == WeightQuantSpec(dtype: .int4, granularity: .perGroup, group: 128))
    }

    @Test func loadFromFileAndUnreadableFile() throws {
        let dir = try TestSupport.tempDir("file")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TestSupport.write(["recipes/kbd.yaml": exampleRecipe], in: dir)
        let r = try RecipeLoader.load(path: dir + "/recipes/kbd.yaml")
        #expect(r.model.path == dir + "/models/demo.safetensors")
        #expect(r.passes.count == 4)
        #expect(throws: DiagnosticError.self) { try RecipeLoader.load(path: dir + "/recipes/missing.yaml") }
        do {
            _ = try RecipeLoader.load(path: dir + "/recipes/missing.yaml")
        } catch let e as DiagnosticError {
            #expect(e.diagnostics.count == 1)
            #expect(e.diagnostics[0].location == Loc(file: dir + "/recipes/missing.yaml"))
            #expect(e.diagnostics[0].message.hasPrefix("cannot read recipe '\(dir)/recipes/missing.yaml'"))
        }
    }
}
