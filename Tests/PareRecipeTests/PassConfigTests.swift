import Foundation
import PareBasics
import Testing
@testable import PareRecipe

@Suite struct PassConfigTests {
    static let configs: [PassConfig] = [
        .quantize(QuantizeConfig()),
        .quantize(QuantizeConfig(
            selection: TensorSelection(include: [Glob("*attn*")], exclude: [Glob("*k_proj*")], minElements: 4096, keep1D: false),
            weights: WeightQuantSpec(dtype: .uint4, granularity: .perGroup, group: 128, symmetric: false),
            overrides: [QuantOverride(match: [Glob("*head*")], weights: WeightQuantSpec(), skip: true)])),
        .cast(CastConfig(dtype: .bf16)),
        .prune(PruneConfig(sparsity: 0.625, scope: .global)),
        .prune(PruneConfig(pattern: NMPattern(n: 2, m: 4))),
    ]

    @Test("canonical JSON round-trips", arguments: configs)
    func roundTrip(_ c: PassConfig) throws {
        let data = try CanonicalJSON.encode(c)
        #expect(try CanonicalJSON.decode(PassConfig.self, from: data) == c)
        #expect(try CanonicalJSON.encode(CanonicalJSON.decode(PassConfig.self, from: data)) == data)
    }

    @Test func encodingIsKeyedByPassName() throws {
        let json = String(decoding: try CanonicalJSON.encode(PassConfig.prune(PruneConfig(pattern: NMPattern(n: 2, m: 4)))), as: UTF8.self)
        #expect(json == #"{"prune":{"method":"magnitude","pattern":"2:4","scope":"per-tensor","selection":{"exclude":[],"include":["*"],"keep_1d":true,"min_elements":1}}}"#)
    }

    @Test func equivalentRecipesHashEqual() throws {
        // Defaults written out or left implicit, and a group on a non-per-group scheme, give the same key.
        let a = try TestSupport.load("recipe: r\nmodel: {path: m.onnx}\ntargets: [t]\npasses: [quantize]\n")
        let b = try TestSupport.load("""
            recipe: r
            model: {path: m.onnx}
            targets: [t]
            passes:
              - quantize: { include: ["*"], exclude: [], min_elements: 1, keep_1d: true,
                            weights: { dtype: int8, granularity: per-channel, symmetric: yes } }
            """)
        #expect(try CanonicalJSON.digest(a.passes[0].config) == CanonicalJSON.digest(b.passes[0].config))
        #expect(WeightQuantSpec(granularity: .perTensor, group: 64) == WeightQuantSpec(granularity: .perTensor))
        let c = try TestSupport.load("recipe: r\nmodel: {path: m.onnx}\ntargets: [t]\npasses: [quantize: {weights: {symmetric: false}}]\n")
        #expect(try CanonicalJSON.digest(a.passes[0].config) != CanonicalJSON.digest(c.passes[0].config))
    }

    @Test func schemeLastMatchingOverrideWins() {
        let q = QuantizeConfig(weights: WeightQuantSpec(dtype: .int8), overrides: [
            QuantOverride(match: [Glob("*attn*")], weights: WeightQuantSpec(dtype: .int4, granularity: .perGroup, group: 32)),
            QuantOverride(match: [Glob("*attn.out*"), Glob("*lm_head*")], weights: WeightQuantSpec(), skip: true),
            QuantOverride(match: [Glob("*attn.out.b*")], weights: WeightQuantSpec(dtype: .uint8, symmetric: false)),
        ])
        #expect(q.scheme(for: "mlp.fc1") == WeightQuantSpec(dtype: .int8))
        #expect(q.overrideIndex(for: "mlp.fc1") == nil)
        #expect(q.scheme(for: "h.attn.q") == WeightQuantSpec(dtype: .int4, granularity: .perGroup, group: 32))
        #expect(q.overrideIndex(for: "h.attn.q") == 0)
        #expect(q.scheme(for: "h.attn.out.w") == nil)
        #expect(q.overrideIndex(for: "h.attn.out.w") == 1)
        #expect(q.scheme(for: "lm_head") == nil)
        #expect(q.scheme(for: "h.attn.out.b") == WeightQuantSpec(dtype: .uint8, symmetric: false))
        #expect(q.overrideIndex(for: "h.attn.out.b") == 2)
    }

    @Test("N:M parsing", arguments: [
        ("2:4", NMPattern(n: 2, m: 4)), ("1:2", NMPattern(n: 1, m: 2)), ("63:64", NMPattern(n: 63, m: 64)),
        ("4:2", nil), ("0:4", nil), ("2:2", nil), ("2:65", nil), ("2:4:8", nil), ("2:", nil), (":4", nil), ("a:b", nil),
        ("-1:4", nil), ("2 :4", nil), ("", nil),
    ] as [(String, NMPattern?)])
    func nmParsing(_ text: String, _ expected: NMPattern?) {
        #expect(NMPattern(text) == expected)
        if let expected { #expect(expected.description == text) }
    }

    @Test func weightDTypeRanges() {
        #expect(WeightDType.int8.range == -128...127)
        #expect(WeightDType.uint8.range == 0...255)
        #expect(WeightDType.int4.range == -8...7)
        #expect(WeightDType.uint4.range == 0...15)
        #expect(NMPattern(n: 2, m: 4).sparsity == 0.5)
    }
}
