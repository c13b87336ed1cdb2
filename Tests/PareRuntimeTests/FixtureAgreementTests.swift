import Foundation
import Testing
import PareRuntime

/// The fixture models of scripts/onnx_fixtures.py at every opset the interpreter claims, run by the interpreter
/// and by ONNX Runtime on the same seeded samples: max relative error (max|a − b| / max|b|) ≤ 1e-4.
@Suite(.serialized) struct FixtureAgreementTests {
    @Test(arguments: ["cnn", "transformer", "constants"], [11, 13, 17, 21])
    func agreesWithONNXRuntime(fixture: String, opset: Int) throws {
        let dir = try Support.fixtures(opset: opset)
        let err = try Support.compare(model: "\(dir)/\(fixture).onnx", inputs: "\(dir)/\(fixture).inputs.npz", samples: 3)
        #expect(err <= 1e-4, "\(fixture) opset \(opset): max relative error \(err)")
    }
}
