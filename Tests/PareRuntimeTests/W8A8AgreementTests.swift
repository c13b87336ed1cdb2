import Foundation
import Testing
import PareFormats
import PareRuntime

/// W8A8 bundles (calibrated QDQ activations, int32 biases; and the dynamic form) built by `pare build` from the
/// fixtures: each loads and runs in ONNX Runtime, and ORT's outputs agree with the interpreter's on the quantized
/// model — exactly-rounded when ORT runs the Q/DQ nodes literally (graph optimizations off), and closely when ORT
/// fuses them into its integer kernels (default session).
@Suite(.serialized) struct W8A8AgreementTests {
    static func build(fixture: String, target: String, activations: String, weights: String, in dir: String) throws -> String {
        let fixtures = try Support.fixtures(opset: 17)
        try FileManager.default.createDirectory(atPath: dir + "/models", withIntermediateDirectories: true)
        for ext in ["onnx", "calib.npz"] {
            try FileManager.default.copyItem(atPath: "\(fixtures)/\(fixture).\(ext)", toPath: "\(dir)/models/\(fixture).\(ext)")
        }
        let recipe = """
        recipe: w8a8
        model: { path: models/\(fixture).onnx }
        data:
          calibration: { path: models/\(fixture).calib.npz, samples: 16 }
        targets: [\(target)]
        passes:
          - quantize: { weights: \(weights), activations: \(activations) }

        """
        try recipe.write(toFile: dir + "/recipe.yaml", atomically: true, encoding: .utf8)
        let (status, _, err) = try Support.run([Support.pareBinary, "build", dir + "/recipe.yaml", "--targets", Support.repoRoot + "/targets",
                                                "--cache", dir + "/cache", "--dist", dir + "/dist"], cwd: dir)
        guard status == 0 else { throw Support.Failure(description: "pare build failed: \(err)") }
        return "\(dir)/dist/w8a8/\(target)/model.onnx"
    }

    static let int8 = "{}", uint8 = "{ dtype: uint8, symmetric: false }"

    @Test(arguments: [
        // (fixture, target, weights, activations, op that must appear, literal bound, fused bound)
        // The fused bound is nil for int8 weights on the transformer: ORT's uint8 × int8 QLinearMatMul saturates int16
        // pair sums on CPUs without VNNI (this AVX2 host), so ORT's fused result is not the Q/DQ arithmetic there
        // (measured 0.096 relative); with uint8 weights its kernels are exact and it agrees.
        ("cnn", "qualcomm-hexagon-v73", Self.int8, "{}", "QuantizeLinear", 1e-4, 0.05),
        ("cnn", "google-edgetpu", Self.int8, "{ method: percentile }", "QuantizeLinear", 1e-4, 0.05),
        ("transformer", "qualcomm-hexagon-v73", Self.int8, "{}", "QuantizeLinear", 1e-4, nil),
        ("transformer", "x86-64-avx2", Self.uint8, "{ method: minmax }", "QuantizeLinear", 1e-4, 0.05),
        ("cnn", "x86-64-avx2", Self.int8, "dynamic", "ConvInteger", 1e-4, 0.05),
        ("transformer", "x86-64-avx2", Self.int8, "dynamic", "MatMulInteger", 1e-4, 0.05),
    ] as [(String, String, String, String, String, Double, Double?)])
    func bundleAgreesWithONNXRuntime(fixture: String, target: String, weights: String, activations: String, op: String,
                                     literal: Double, fused: Double?) throws {
        let dir = NSTemporaryDirectory() + "pare-w8a8-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bundle = try Self.build(fixture: fixture, target: target, activations: activations, weights: weights, in: dir)
        let ops = Set(try ONNXFile(path: bundle).model.graph.node.map(\.opType))
        #expect(ops.contains(op), "\(op) missing from \(ops.sorted())")
        let inputs = try Support.fixtures(opset: 17) + "/\(fixture).inputs.npz"
        let exact = try Support.compare(model: bundle, inputs: inputs, samples: 4, optimize: false)
        #expect(exact <= literal, "\(fixture) → \(target) \(activations): interpreter vs ORT (Q/DQ run literally): max relative error \(exact)")
        guard let fused else { return }
        let optimized = try Support.compare(model: bundle, inputs: inputs, samples: 4, optimize: true)
        #expect(optimized <= fused, "\(fixture) → \(target) \(activations): interpreter vs ORT (fused integer kernels): max relative error \(optimized)")
    }
}
