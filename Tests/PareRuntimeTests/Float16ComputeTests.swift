import Foundation
import Testing
import PareFormats
import PareRuntime

/// Bundles whose whole graph runs in float16 (`cast: { dtype: fp16, compute: float16 }`): the interpreter computes
/// each op in float32 and rounds its result to float16 once, ONNX Runtime's float16 kernels round differently
/// (some accumulate in float16), so the two agree only to float16 precision: max relative error ≤ 5e-3 (measured
/// 1.2e-3 on the CNN, 8.8e-4 on the transformer).
@Suite(.serialized) struct Float16ComputeTests {
    @Test(arguments: [("cnn", "qualcomm-hexagon-v73"), ("transformer", "apple-ane-a17")])
    func float16GraphAgreesToHalfPrecision(fixture: String, target: String) throws {
        let dir = NSTemporaryDirectory() + "pare-runtime-bundle-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bundle = try BundleAgreementTests.build(fixture: fixture, opset: 17, passes: "  - cast: { dtype: fp16, compute: float16 }", target: target, in: dir)
        let err = try Support.compare(model: bundle, inputs: try Support.fixtures(opset: 17) + "/\(fixture).inputs.npz", samples: 2)
        #expect(err <= 5e-3, "\(fixture): max relative error \(err)")
    }
}
