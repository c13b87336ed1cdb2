import PareBasics
import Testing
@testable import PareRecipe

@Suite struct PerTargetTests {
    @Test func mergesIntoTheNamedPassOnlyForThatTarget() throws {
        let r = try TestSupport.load(exampleRecipe, path: "recipes/kbd.yaml")
        let base = r.passes(for: "arm64-cortex-a78")
        #expect(base == r.passes)
        let avx = r.passes(for: "x86-64-avx2")
        #expect(avx.count == 4)
        #expect(Array(avx[0..<3]) == Array(r.passes[0..<3]))         // other passes untouched
        guard case .quantize(let q) = avx[3].config, case .quantize(let q0) = r.passes[3].config else {
            Issue.record("expected quantize"); return
        }
        #expect(q.weights == WeightQuantSpec(dtype: .int8, granularity: .perTensor, symmetric: true))
        #expect(q.selection == q0.selection)
        // Overrides inherit from the merged pass weights, so their unwritten fields follow per_target too.
        #expect(q.overrides[1].weights.granularity == .perTensor)
        #expect(q.overrides[0].weights == q0.overrides[0].weights)    // written granularity stays per-group
        #expect(avx[3].id == "quantize")
        #expect(avx[3].location == r.passes[3].location)
        // Merged values point into per_target; the rest still point at the pass.
        #expect(avx[3].fieldLocations["weights.granularity"] == Loc(file: "recipes/kbd.yaml", line: 21, column: 41))
        #expect(avx[3].fieldLocations["weights"] == Loc(file: "recipes/kbd.yaml", line: 21, column: 26))
        #expect(avx[3].fieldLocations["weights.dtype"] == r.passes[3].fieldLocations["weights.dtype"])
        #expect(avx[3].fieldLocations["overrides[0].match"] == r.passes[3].fieldLocations["overrides[0].match"])
    }

    struct MergeCase: Sendable, CustomTestStringConvertible {
        var name: String
        var pass: String
        var overlay: String
        var expected: PassConfig
        var testDescription: String { name }
    }

    @Test("per_target layer semantics", arguments: [
        MergeCase(name: "switching away from per-group drops the lower layer's group",
                  pass: "quantize: { weights: { dtype: int4, granularity: per-group, group: 64 } }",
                  overlay: "{ weights: { granularity: per-channel } }",
                  expected: .quantize(QuantizeConfig(weights: WeightQuantSpec(dtype: .int4, granularity: .perChannel)))),
        MergeCase(name: "a group alone keeps the inherited per-group",
                  pass: "quantize: { weights: { dtype: int4, granularity: per-group, group: 64 } }",
                  overlay: "{ weights: { group: 128, symmetric: false } }",
                  expected: .quantize(QuantizeConfig(weights: WeightQuantSpec(dtype: .int4, granularity: .perGroup, group: 128,
                                                                             symmetric: false)))),
        MergeCase(name: "overrides are replaced as a whole",
                  pass: "quantize: { overrides: [{ match: a, skip: true }, { match: b, weights: { dtype: uint8 } }] }",
                  overlay: "{ overrides: [{ match: [c, d], weights: { symmetric: false } }] }",
                  expected: .quantize(QuantizeConfig(overrides: [
                      QuantOverride(match: [Glob("c"), Glob("d")], weights: WeightQuantSpec(symmetric: false)),
                  ]))),
        MergeCase(name: "pattern replaces sparsity and its scope",
                  pass: "prune: { sparsity: 0.5, scope: global }",
                  overlay: "{ pattern: \"2:4\" }",
                  expected: .prune(PruneConfig(pattern: NMPattern(n: 2, m: 4)))),
        MergeCase(name: "sparsity replaces pattern",
                  pass: "prune: { pattern: \"1:4\", exclude: [\"*embed*\"] }",
                  overlay: "{ sparsity: 0.3 }",
                  expected: .prune(PruneConfig(selection: TensorSelection(exclude: [Glob("*embed*")]), sparsity: 0.3))),
        MergeCase(name: "selection keys and cast dtype",
                  pass: "cast: { dtype: fp16, include: [\"*head*\"] }",
                  overlay: "{ dtype: bf16, min_elements: 1024, keep_1d: false }",
                  expected: .cast(CastConfig(selection: TensorSelection(include: [Glob("*head*")], minElements: 1024, keep1D: false),
                                             dtype: .bf16))),
    ])
    func layerSemantics(_ c: MergeCase) throws {
        let name = String(c.pass.prefix { $0 != ":" })
        let r = try TestSupport.load("""
            recipe: r
            model: { path: m.onnx }
            targets: [a, b]
            passes:
              - \(c.pass)
            per_target:
              b:
                \(name): \(c.overlay)
            """)
        #expect(r.passes(for: "b")[0].config == c.expected)
        #expect(r.passes(for: "a") == r.passes)
        #expect(r.passes[0].config != c.expected)
    }

    @Test func perTargetIsKeyedByPassID() throws {
        let r = try TestSupport.load("""
            recipe: r
            model: { path: m.onnx }
            targets: [a]
            passes:
              - quantize: { id: q-attn, include: ["*attn*"], weights: { dtype: int4, granularity: per-group } }
              - quantize: { exclude: ["*attn*"] }
            per_target:
              a:
                q-attn: { weights: { dtype: int8 } }
                quantize-2: { weights: { symmetric: false } }
            """)
        let a = r.passes(for: "a")
        guard case .quantize(let q1) = a[0].config, case .quantize(let q2) = a[1].config else { Issue.record("types"); return }
        #expect(q1.weights == WeightQuantSpec(dtype: .int8, granularity: .perGroup, group: 32))
        #expect(q2.weights == WeightQuantSpec(symmetric: false))
        #expect(a[1].fieldLocations["weights.symmetric"] == Loc(file: "recipes/a.yaml", line: 10, column: 41))
    }
}
