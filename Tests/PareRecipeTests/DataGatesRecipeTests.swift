import Foundation
import Testing
import PareBasics
@testable import PareRecipe

/// `data:`, `gates:`, `activations:` and `fallback:` in recipes: parsing, defaults, located errors, and the
/// per-target resolution of activation types.
@Suite struct DataGatesRecipeTests {
    static let base = """
        recipe: r
        model: { path: ../models/m.onnx }
        data:
          calibration: { path: ../data/calib.npz, samples: 32, seed: 7 }
          evaluation: ../data/eval.npz
        targets: [x86-64-avx2]
        passes:
          - quantize:
              activations: { method: percentile, percentile: 99.9, overrides: [{ match: "*logits*", precision: float }] }
              fallback: { max_layers: 3 }
        gates:
          cosine_mean: { min: 0.99 }
          accuracy: { min: 0.98, relative: true }
          size_mb: { max: 4 }

        """

    @Test func parsesEverything() throws {
        let r = try TestSupport.load(Self.base)
        let c = try #require(r.data.calibration)
        #expect(c.givenPath == "../data/calib.npz" && c.path.hasSuffix("data/calib.npz") && c.samples == 32 && c.seed == 7)
        #expect(r.data.evaluation?.samples == nil && r.data.evaluation?.labels == "__label__")
        #expect(r.gates.map(\.metric) == [.cosineMean, .accuracy, .sizeMB])
        #expect(r.gates[1].relative && r.gates[1].min == 0.98 && r.gates[2].max == 4)
        guard case .quantize(let q) = r.passes[0].config, case .calibrated(let a)? = q.activations else {
            Issue.record("no calibrated activations")
            return
        }
        #expect(a.method == .percentile && a.percentile == 99.9 && a.dtype == .auto && a.symmetric == nil && a.fragile == .keep)
        #expect(a.override(for: "/head/logits") == .float && a.override(for: "/conv1") == nil)
        #expect(q.fallback == FallbackSpec(maxLayers: 3))
    }

    @Test func weightOnlyKeysAreUnchanged() throws {
        // A quantize pass without activations encodes exactly as before (no new keys), so cache keys do not move.
        let json = String(decoding: try CanonicalJSON.encode(PassConfig.quantize(QuantizeConfig())), as: UTF8.self)
        #expect(!json.contains("activations") && !json.contains("fallback"))
    }

    @Test(arguments: [
        // (replace, with, expected error fragment, line:column)
        ("cosine_mean: { min: 0.99 }", "cosin_mean: { min: 0.99 }", "unknown gate metric 'cosin_mean' in gates (did you mean 'cosine_mean'?)", "12:3"),
        ("cosine_mean: { min: 0.99 }", "cosine_mean: { min: 0.99, relative: true }", "gate 'cosine_mean' cannot be relative", "12:39"),
        ("cosine_mean: { min: 0.99 }", "cosine_mean: { relative: false }", "gate 'cosine_mean' needs 'min' or 'max'", "12:3"),
        ("size_mb: { max: 4 }", "size_mb: { min: 5, max: 4 }", "gate 'size_mb' has min 5.0 above max 4.0", "14:3"),
        ("method: percentile, percentile: 99.9", "method: mse, percentile: 99.9", "'percentile' applies only to method: percentile", "9:47"),
        ("method: percentile, percentile: 99.9", "method: percentile, percentile: 101", "'percentile' must be in (0, 100]", "9:54"),
        ("activations: { method", "activations: { methd", "unknown key 'methd' in quantize.activations (did you mean 'method'?)", "9:22"),
        ("precision: float", "precision: fp8", "'precision'", "9:104"),
        ("fallback: { max_layers: 3 }", "fallback: { max_layers: -1 }", "'max_layers'", "10:31"),
    ])
    func locatedErrors(_ from: String, _ to: String, _ message: String, _ position: String) {
        let errors = TestSupport.errors(Self.base.replacingOccurrences(of: from, with: to))
        #expect(errors.contains { $0.contains(message) && $0.contains("recipes/a.yaml:\(position)") }, "\(errors)")
    }

    @Test func activationsNeedCalibrationAndGatesNeedEvaluation() {
        let noData = Self.base.replacingOccurrences(of: """
            data:
              calibration: { path: ../data/calib.npz, samples: 32, seed: 7 }
              evaluation: ../data/eval.npz

            """, with: "")
        let errors = TestSupport.errors(noData)
        #expect(errors.contains { $0.contains("recipes/a.yaml:6:20") && $0.contains("no data.calibration") }, "\(errors)")
        #expect(errors.contains { $0.contains("recipes/a.yaml:9:3") && $0.contains("gate 'cosine_mean' is measured on the evaluation set") }, "\(errors)")
        #expect(errors.contains { $0.contains("fallback policy, which measures each layer on the evaluation set") }, "\(errors)")
        // size_mb needs no evaluation set.
        #expect(!errors.contains { $0.contains("gate 'size_mb'") })
        // Dynamic activations need no calibration set.
        let dynamic = noData.replacingOccurrences(of: #"activations: { method: percentile, percentile: 99.9, overrides: [{ match: "*logits*", precision: float }] }"#,
                                                  with: "activations: dynamic")
        #expect(!TestSupport.errors(dynamic).contains { $0.contains("calibration") })
        #expect(TestSupport.errors(noData.replacingOccurrences(of: "activations: {", with: "activations: dynamc\n      x: {"))
            .contains { $0.contains("'activations' must be 'dynamic' or a mapping") && $0.contains("did you mean 'dynamic'") })
    }

    static func profile(_ id: String, dtypes: [String], staticOnly: Bool = true, symmetricOnly: Bool = false) -> TargetProfile {
        TargetProfile(id: id, name: id, kind: .npu, vendor: "v", weights: WeightSupport(dtypes: ["int8"], granularities: [.perChannel]),
                      activations: ActivationSupport(dtypes: dtypes, staticOnly: staticOnly, symmetricOnly: symmetricOnly),
                      memoryMB: 100, formats: ["onnx"], file: "targets/\(id).yaml")
    }

    @Test(arguments: [
        // (activation dtypes, symmetric_only, resolved dtype, symmetric, fragile precision)
        (["uint8", "uint16", "int8", "fp16"], false, ActivationDType.uint8, false, ActivationPrecision.uint16),
        (["int8", "uint8"], false, .uint8, false, .uint8),
        (["int8", "uint8", "fp16", "fp32"], false, .uint8, false, .float),
        (["int8", "int16"], false, .int8, false, .int16),
        (["int8", "uint8"], true, .int8, true, .int8),
    ])
    func resolvesPerTarget(_ dtypes: [String], _ symmetricOnly: Bool, _ dtype: ActivationDType, _ symmetric: Bool, _ fragile: ActivationPrecision) throws {
        var r = try TestSupport.load(Self.base.replacingOccurrences(of: "x86-64-avx2", with: "t"))
        let problems = r.resolveActivations(targets: [Self.profile("t", dtypes: dtypes, symmetricOnly: symmetricOnly)])
        // The float override needs float activations; only the profiles that run float accept it.
        let floatOK = dtypes.contains("fp16") || dtypes.contains("fp32")
        #expect(problems.isEmpty == floatOK, "\(problems)")
        guard floatOK else { return }
        guard case .quantize(let q) = r.passes(for: "t")[0].config, case .calibrated(let a)? = q.activations else { return }
        #expect(a.dtype == dtype && a.symmetric == symmetric && a.fragilePrecision == fragile)
    }

    @Test func dynamicOnStaticOnlyTargetIsAnError() throws {
        var r = try TestSupport.load(Self.base.replacingOccurrences(of: "x86-64-avx2", with: "npu")
            .replacingOccurrences(of: #"activations: { method: percentile, percentile: 99.9, overrides: [{ match: "*logits*", precision: float }] }"#, with: "activations: dynamic"))
        let problems = r.resolveActivations(targets: [Self.profile("npu", dtypes: ["uint8"], staticOnly: true)])
        #expect(problems.count == 1 && problems[0].description.contains("recipes/a.yaml:9:20")
                && problems[0].description.contains("runs only calibrated (static) activation scales"), "\(problems)")
    }
}
