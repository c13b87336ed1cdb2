import PareBasics
import Testing
@testable import PareRecipe

@Suite struct TensorSelectionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var selection: TensorSelection
        var name: String
        var dims: [Int]
        var selected: Bool
        var testDescription: String { "\(name) \(dims) → \(selected)" }
    }

    @Test("each rule", arguments: [
        // keep_1d (default true) leaves rank ≤ 1 alone.
        Case(selection: TensorSelection(), name: "layer.0.weight", dims: [16, 8], selected: true),
        Case(selection: TensorSelection(), name: "layer.0.bias", dims: [16], selected: false),
        Case(selection: TensorSelection(), name: "scale", dims: [], selected: false),
        Case(selection: TensorSelection(keep1D: false), name: "layer.0.bias", dims: [16], selected: true),
        Case(selection: TensorSelection(keep1D: false), name: "scale", dims: [], selected: true),
        // include: any glob.
        Case(selection: TensorSelection(include: [Glob("*attn*"), Glob("*mlp*")]), name: "h.1.mlp.fc", dims: [4, 4], selected: true),
        Case(selection: TensorSelection(include: [Glob("*attn*")]), name: "h.1.mlp.fc", dims: [4, 4], selected: false),
        // exclude wins over include.
        Case(selection: TensorSelection(include: [Glob("*attn*")], exclude: [Glob("*.q_proj*")]), name: "attn.q_proj.weight",
             dims: [4, 4], selected: false),
        Case(selection: TensorSelection(exclude: [Glob("*embed*")]), name: "tok_embed", dims: [100, 8], selected: false),
        // min_elements counts the product of dims.
        Case(selection: TensorSelection(minElements: 64), name: "w", dims: [8, 8], selected: true),
        Case(selection: TensorSelection(minElements: 65), name: "w", dims: [8, 8], selected: false),
        Case(selection: TensorSelection(minElements: 2, keep1D: false), name: "s", dims: [], selected: false),
        Case(selection: TensorSelection(minElements: 1), name: "empty", dims: [0, 8], selected: false),
        Case(selection: TensorSelection(minElements: 1 << 40), name: "huge", dims: [1 << 21, 1 << 21], selected: true),
    ])
    func rules(_ c: Case) {
        #expect(c.selection.selects(name: c.name, dims: c.dims) == c.selected)
    }

    /// Randomized against a restatement of the rule, with a fixed seed per run.
    @Test("random selections agree with the definition", arguments: [1, 2, 3, 4] as [UInt64])
    func randomized(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let parts = ["model", "layers", "0", "1", "attn", "mlp", "q_proj", "lm_head", "embed", "norm", "weight", "bias"]
        let globs = ["*", "*attn*", "*mlp*", "model.*", "*.weight", "*.bias", "*embed*", "*lm_head*", "layers.?.*", "*[01]*"]
        for _ in 0..<500 {
            let name = (0..<Int.random(in: 1...4, using: &rng)).map { _ in parts.randomElement(using: &rng)! }.joined(separator: ".")
            let dims = (0..<Int.random(in: 0...3, using: &rng)).map { _ in Int.random(in: 0...16, using: &rng) }
            let include = (0..<Int.random(in: 1...3, using: &rng)).map { _ in Glob(globs.randomElement(using: &rng)!) }
            let exclude = (0..<Int.random(in: 0...2, using: &rng)).map { _ in Glob(globs.randomElement(using: &rng)!) }
            let s = TensorSelection(include: include, exclude: exclude, minElements: Int.random(in: 1...64, using: &rng),
                                    keep1D: Bool.random(using: &rng))
            let elements = dims.reduce(1, *)
            var expected = include.contains { $0.matches(name) } && !exclude.contains { $0.matches(name) }
            expected = expected && elements >= s.minElements && !(s.keep1D && dims.count < 2)
            #expect(s.selects(name: name, dims: dims) == expected, "\(name) \(dims) \(s)")
        }
    }

    @Test func selectionFromYAML() throws {
        let r = try TestSupport.load("""
            recipe: r
            model: { path: m.onnx }
            targets: [t]
            passes:
              - quantize: { include: "*attn*", exclude: ["*.k_proj.*", "*.v_proj.*"], min_elements: 256, keep_1d: false }
            """)
        let s = r.passes[0].config.selection
        #expect(s == TensorSelection(include: [Glob("*attn*")], exclude: [Glob("*.k_proj.*"), Glob("*.v_proj.*")],
                                     minElements: 256, keep1D: false))
        #expect(s.selects(name: "h.0.attn.q_proj.weight", dims: [16, 16]))
        #expect(!s.selects(name: "h.0.attn.k_proj.weight", dims: [16, 16]))
        #expect(!s.selects(name: "h.0.attn.q_proj.weight", dims: [8, 16]))
        #expect(s.selects(name: "h.0.attn.q_proj.bias", dims: [256]))
    }
}
