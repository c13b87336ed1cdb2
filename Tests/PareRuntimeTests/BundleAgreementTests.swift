import Foundation
import Testing
import PareFormats
import PareRuntime

/// Bundles that `pare build` makes from the fixtures (int8 per-channel DequantizeLinear, int4 per-group
/// MatMulNBits with packed or float zero points, blocked int4 DequantizeLinear, int4 as Cast/Sub/Mul, fp16 weights
/// with Cast), run by the interpreter and by ONNX Runtime: max relative error ≤ 1e-4.
@Suite(.serialized) struct BundleAgreementTests {
    static let int8 = "  - quantize: { weights: { dtype: int8, granularity: per-channel } }"
    static let int4Fit = """
          - quantize:
              weights: { dtype: int4, granularity: per-group, group: 32, symmetric: false, fit: mse }
              overrides:
                - match: "*embed*"
                  weights: { dtype: int8, granularity: per-channel, symmetric: true, fit: minmax }
        """
    static let int4MinMax = """
          - quantize:
              weights: { dtype: int4, granularity: per-group, group: 32, symmetric: false }
              overrides:
                - match: "*embed*"
                  weights: { dtype: int8, granularity: per-channel }
        """
    static let int4FitCNN = """
          - quantize:
              weights: { dtype: int4, granularity: per-group, group: 32, symmetric: false, fit: mse }
              overrides:
                - match: conv1.weight
                  weights: { dtype: int8, granularity: per-channel, fit: minmax }
        """

    /// Builds `fixture` with `passes` for `target` with the pare binary; returns the bundle's model.onnx.
    static func build(fixture: String, opset: Int, passes: String, target: String, in dir: String) throws -> String {
        let fixtures = try Support.fixtures(opset: opset)
        try FileManager.default.createDirectory(atPath: dir + "/models", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "\(fixtures)/\(fixture).onnx", toPath: "\(dir)/models/\(fixture).onnx")
        let recipe = """
        recipe: onnx
        model: { path: models/\(fixture).onnx }
        targets: [\(target)]
        passes:
        \(passes)

        """
        try recipe.write(toFile: dir + "/recipe.yaml", atomically: true, encoding: .utf8)
        let (status, _, err) = try Support.run([Support.pareBinary, "build", dir + "/recipe.yaml", "--targets", Support.repoRoot + "/targets",
                                                "--cache", dir + "/cache", "--dist", dir + "/dist"], cwd: dir)
        guard status == 0 else { throw Support.Failure(description: "pare build failed: \(err)") }
        return "\(dir)/dist/onnx/\(target)/model.onnx"
    }

    @Test(arguments: [
        // (fixture, opset, passes, target, op that must appear)
        ("cnn", 17, Self.int8, "qualcomm-hexagon-v73", "DequantizeLinear"),
        ("cnn", 11, Self.int8, "x86-64-avx2", "DequantizeLinear"),
        ("transformer", 17, Self.int8, "x86-64-avx2", "DequantizeLinear"),
        ("constants", 17, Self.int8, "google-edgetpu", "DequantizeLinear"),
        ("transformer", 17, Self.int4Fit, "x86-64-avx2", "com.microsoft:MatMulNBits"),
        ("transformer", 21, Self.int4Fit, "arm64-cortex-a55", "com.microsoft:MatMulNBits"),
        ("transformer", 17, Self.int4MinMax, "x86-64-avx2", "com.microsoft:MatMulNBits"),
        ("constants", 17, "  - quantize: { weights: { dtype: int4, granularity: per-group, group: 32, symmetric: false, fit: mse } }",
         "x86-64-avx2", "com.microsoft:MatMulNBits"),
        ("transformer", 17, "  - quantize: { weights: { dtype: int4, granularity: per-group, group: 32 } }", "x86-64-avx2", "DequantizeLinear"),
        ("cnn", 17, Self.int4FitCNN, "x86-64-avx2", "Sub"),
        ("transformer", 13, "  - cast: { dtype: fp16 }", "apple-ane-a17", "Cast"),
        ("cnn", 17, "  - cast: { dtype: fp16 }", "qualcomm-hexagon-v73", "Cast"),
    ] as [(String, Int, String, String, String)])
    func bundleAgreesWithONNXRuntime(fixture: String, opset: Int, passes: String, target: String, op: String) throws {
        let dir = NSTemporaryDirectory() + "pare-runtime-bundle-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bundle = try Self.build(fixture: fixture, opset: opset, passes: passes, target: target, in: dir)
        let ops = Set(try ONNXFile(path: bundle).model.graph.node.map { $0.domain.isEmpty ? $0.opType : "\($0.domain):\($0.opType)" })
        #expect(ops.contains(op), "\(op) missing from \(ops.sorted())")
        let inputs = try Support.fixtures(opset: opset) + "/\(fixture).inputs.npz"
        let err = try Support.compare(model: bundle, inputs: inputs, samples: 2)
        #expect(err <= 1e-4, "\(fixture) opset \(opset) → \(target): max relative error \(err)")
    }

    /// fit: mse gives MatMulNBits float zero points; minmax gives packed uint8 ones — both forms are exercised.
    @Test func matMulNBitsZeroPointForms() throws {
        for (passes, float) in [(Self.int4Fit, true), (Self.int4MinMax, false)] {
            let dir = NSTemporaryDirectory() + "pare-runtime-bundle-" + UUID().uuidString
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let bundle = try Self.build(fixture: "transformer", opset: 17, passes: passes, target: "x86-64-avx2", in: dir)
            let f = try ONNXFile(path: bundle)
            let zps = f.model.graph.node.filter { $0.opType == "MatMulNBits" && $0.input.count > 3 }.map { $0.input[3] }
            #expect(!zps.isEmpty)
            for z in zps { #expect(f[z]?.dtype.isFloatingPoint == float, "\(z): \(String(describing: f[z]?.dtype))") }
        }
    }
}
