import Testing
@testable import PareRecipe

/// `bundle.external_data` in recipes: values, default, located errors.
@Suite struct ExternalDataRecipeTests {
    static func yaml(model: String = "../models/m.onnx", bundle: String) -> String {
        """
        recipe: demo
        model: { path: \(model) }
        targets: [x86-64-avx2]
        passes:
          - quantize
        \(bundle)
        """
    }

    @Test(arguments: [
        ("", ExternalDataMode.auto, nil as Int?),
        ("bundle: { tar: true }", .auto, nil),
        ("bundle: { external_data: auto }", .auto, 26),
        ("bundle: { external_data: always }", .always, 26),
        ("bundle: { format: onnx, external_data: always }", .always, 40),
    ])
    func decodesTheMode(bundle: String, mode: ExternalDataMode, column: Int?) throws {
        let r = try TestSupport.load(Self.yaml(bundle: bundle))
        #expect(r.bundle.externalData == mode)
        #expect(r.bundle.externalDataLocation == column.map { Loc(file: "recipes/a.yaml", line: 6, column: $0) })
    }

    @Test func theDefaultIsAuto() {
        #expect(ExternalDataMode.default == .auto)
        #expect(BundleSpec().externalData == .auto)
        #expect(ExternalDataMode.allCases.map(\.rawValue) == ["auto", "always"])
    }

    @Test(arguments: [
        ("bundle: { external_data: alway }",
         "recipes/a.yaml:6:26: error: 'external_data' 'alway' is not one of auto, always (did you mean 'always'?)"),
        ("bundle: { external_data: [always] }",
         "recipes/a.yaml:6:26: error: 'external_data' must be one of auto, always, got a list"),
        ("bundle: { external-data: always }",
         "recipes/a.yaml:6:11: error: unknown key 'external-data' in bundle (did you mean 'external_data'?)"),
    ])
    func badValuesAreLocated(bundle: String, expected: String) {
        #expect(TestSupport.errors(Self.yaml(bundle: bundle)) == [expected])
    }

    @Test(arguments: [
        ("../models/m.safetensors", "bundle: { external_data: always }", 26,
         "bundle.format is auto, so bundles take the model's format, safetensors"),
        ("../models/m.onnx", "bundle: { format: safetensors, external_data: always }", 47, "bundle.format is safetensors"),
    ])
    func alwaysNeedsONNXBundles(model: String, bundle: String, column: Int, why: String) {
        #expect(TestSupport.errors(Self.yaml(model: model, bundle: bundle)) == [
            "recipes/a.yaml:6:\(column): error: external_data applies to ONNX bundles, but \(why); "
                + "remove external_data (or set it to auto), or build from an ONNX model",
        ])
    }

    @Test func autoIsFineForSafetensors() throws {
        let r = try TestSupport.load(Self.yaml(model: "../models/m.safetensors", bundle: "bundle: { external_data: auto }"))
        #expect(r.bundle.externalDataProblem(bundleFormat: .safetensors) == nil)
        #expect(r.bundle.externalData == .auto)
    }
}
