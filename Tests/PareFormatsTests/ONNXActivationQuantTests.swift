import Foundation
import PareBasics
import PareONNXProto
import Testing
@testable import PareFormats

/// Activation quantization in ONNXEncoder: static QDQ (structure, numerics against numpy, the fixtures in ORT),
/// int32 biases, the dynamic form, and bad input.
@Suite struct ONNXActivationQuantTests {
    typealias S = ONNXEncodeSupport
    typealias A = ONNXActivationQuantSupport
    typealias P = ONNXEncodeProto

    /// Every node input is a graph input, an initializer or an earlier node's output.
    static func isTopological(_ g: Onnx_GraphProto) -> Bool {
        var defined = Set(g.input.map(\.name)).union(g.initializer.map(\.name))
        for n in g.node {
            guard n.input.allSatisfy({ $0.isEmpty || defined.contains($0) }) else { return false }
            defined.formUnion(n.output)
        }
        return g.output.allSatisfy { defined.contains($0.name) }
    }

    static func initializer(_ m: Onnx_ModelProto, _ name: String) -> Onnx_TensorProto? { m.graph.initializer.first { $0.name == name } }

    static let smallActs = ["c", "h", "img", "r", "x", "z"].map { ONNXActivationQuant(name: $0, dtype: "uint8", scale: 0.05, zeroPoint: 128) }

    @Test(arguments: [1, 2] as [UInt64])
    func staticStructure(seed: UInt64) throws {
        let m = A.smallModel(seed: seed)
        let weights = A.weights(m)
        var options = ONNXEncodeOptions(modelName: "small.onnx")
        options.activations = Self.smallActs
        let r = try ONNXEncoder.encode(m, weights: weights, options: options)
        let g = r.model.graph
        #expect(P.defaultOpset(r.model) == 13)
        #expect(g.input == m.graph.input && g.output == m.graph.output)
        #expect(Self.isTopological(g))
        let ops = g.node.map { "\($0.opType):\($0.output.joined(separator: ","))" }
        #expect(ops == [
            "QuantizeLinear:img_quantized", "DequantizeLinear:img_dequantized", "QuantizeLinear:x_quantized", "DequantizeLinear:x_dequantized",
            "DequantizeLinear:C", "DequantizeLinear:CB",
            "DequantizeLinear:CW", "DequantizeLinear:G", "DequantizeLinear:W",
            "MatMul:h", "QuantizeLinear:h_quantized", "DequantizeLinear:h_dequantized",
            "Relu:r", "QuantizeLinear:r_quantized", "DequantizeLinear:r_dequantized",
            "Gemm:z_float", "QuantizeLinear:z_quantized", "DequantizeLinear:z",
            "Conv:c", "QuantizeLinear:c_quantized", "DequantizeLinear:c_dequantized",
            "Relu:co",
        ], "\(ops)")
        let byOut = Dictionary(uniqueKeysWithValues: g.node.map { ($0.output[0], $0) })
        #expect(byOut["h"]?.input == ["x_dequantized", "W"])
        #expect(byOut["z_float"]?.input == ["r_dequantized", "G", "C"])
        #expect(byOut["z_quantized"]?.input == ["z_float", "z_scale", "z_zero_point"])
        #expect(byOut["c"]?.input == ["img_dequantized", "CW", "CB"])
        #expect(byOut["co"]?.input == ["c_dequantized"])
        #expect(byOut["C"]?.input == ["C_quantized", "C_scale"] && byOut["C"]?.attribute.map(\.name) == ["axis"])
        for x in ["x", "h", "z", "img"] {
            #expect(Self.initializer(r.model, "\(x)_scale").map { ($0.dataType, $0.dims) } ?? (0, [9]) == (P.float, []))
            #expect(Self.initializer(r.model, "\(x)_zero_point").map { ($0.dataType, $0.dims, [UInt8]($0.rawData)) } ?? (0, [9], []) == (P.uint8, [], [128]))
        }
        #expect(Self.initializer(r.model, "C") == nil && Self.initializer(r.model, "CB") == nil)
        // int32 biases: round half to even of b / (s_x · s_w[c]), all in Float, computed independently here.
        for (b, w) in [("C", "G"), ("CB", "CW")] {
            guard case .quantized(let q) = weights[w]!, let t = Self.initializer(r.model, "\(b)_quantized") else {
                Issue.record("no \(b)_quantized")
                continue
            }
            let values = S.floatWeights(m)[b]!.values
            let want = values.enumerated().map { k, v in Int32((v / (Float(0.05) * q.scales[k])).rounded(.toNearestOrEven)) }
            let raw = [UInt8](t.rawData)
            let got = (0..<values.count).map { Int32(bitPattern: P.readLE(raw, $0 * 4, UInt32.self)) }
            #expect(t.dataType == P.int32 && got == want)
            #expect(S.floats(Self.initializer(r.model, "\(b)_scale")!) == q.scales.map { Float(0.05) * $0 })
        }
        #expect(r.report.contains("6 activations quantized per tensor (QuantizeLinear → DequantizeLinear): 6 uint8"), "\(r.report)")
        #expect(r.report.contains { $0.hasPrefix("activation 'z' is a graph output") })
        // Deterministic, whatever the order of the list.
        var shuffled = options
        var rng = SplitMix64(seed: seed)
        shuffled.activations.shuffle(using: &rng)
        let again = try ONNXEncoder.encode(m, weights: weights, options: shuffled)
        #expect(try S.bytes(again.model) == S.bytes(r.model))
        // Without bias quantization the biases stay float initializers.
        options.quantizeBiases = false
        let floatBias = try ONNXEncoder.encode(m, weights: weights, options: options)
        #expect(Self.initializer(floatBias.model, "C")?.dataType == P.float && !floatBias.model.graph.node.contains { $0.output == ["C"] })
        // In ORT: with the biased nodes' outputs not re-quantized, int32 biases match float biases to 1e-4 relative.
        options.activations = Self.smallActs.filter { ["x", "r", "img"].contains($0.name) }
        let floatOnly = try ONNXEncoder.encode(m, weights: weights, options: options)
        options.quantizeBiases = true
        let int32 = try ONNXEncoder.encode(m, weights: weights, options: options)
        #expect(int32.model.graph.initializer.filter { $0.dataType == P.int32 }.count == 2)
        try TemporaryDirectory.with { dir in
            try S.save(floatOnly.model, to: dir + "/f.onnx")
            try S.save(int32.model, to: dir + "/i.onnx")
            let same = try A.compare([(dir + "/f.onnx", dir + "/i.onnx")], inputs: try A.smallInputs(dir: dir, seed: seed))
            print("ONNXACT-BIAS small seed \(seed): \(same)")
            #expect(same.count == 1 && same[0].maxAbs <= 1e-4 * same[0].maxRef && same[0].maxAbs > 0, "\(same)")
        }
    }

    /// A bias whose weight is not an 8-bit per-channel DequantizeLinear weight stays float, with a reason.
    @Test func biasLeftFloat() throws {
        let m = A.smallModel(seed: 3)
        var weights = A.weights(m)
        weights["G"] = .float16(S.floatWeights(m)["G"]!.values.map { Float16($0).bitPattern })
        var options = ONNXEncodeOptions()
        options.activations = Self.smallActs
        let r = try ONNXEncoder.encode(m, weights: weights, options: options)
        #expect(Self.initializer(r.model, "C")?.dataType == P.float)
        #expect(r.report.contains("bias 'C' of node 'gemm' (Gemm) left float: its weight 'G' does not fit: it is stored as FLOAT16, not quantized"), "\(r.report)")
        #expect(Self.initializer(r.model, "CB_quantized")?.dataType == P.int32)
    }

    /// ORT with optimizations off computes exactly what a numpy simulation of Q/DQ computes (round half to even,
    /// saturation), for each dtype; 16-bit types upgrade the model to opset 21.
    @Test(arguments: ["uint8", "int8", "uint16", "int16"])
    func matchesNumpySimulation(dtype: String) throws {
        var rng = SplitMix64(seed: 11)
        let k = A.gaussians(64, &rng)
        let m = A.model(nodes: [P.node("Relu", ["x"], ["h"], name: "relu"), P.node("Mul", ["h", "k"], ["y"], name: "mul")],
                        inputs: [A.vi("x", [64])], outputs: [A.vi("y", [64])], initializers: [P.floats("k", dims: [64], k)], opset: 13)
        let wide = dtype.hasSuffix("16")
        let (s, zx): (Float, Int32) = wide ? (1.0 / 4096, dtype == "uint16" ? 30000 : 100) : (1.0 / 16, dtype == "uint8" ? 100 : -3)
        let acts = [ONNXActivationQuant(name: "x", dtype: dtype, scale: s, zeroPoint: zx),
                    ONNXActivationQuant(name: "h", dtype: dtype, scale: s * 1.37, zeroPoint: dtype.hasPrefix("u") ? 7 : 0),
                    ONNXActivationQuant(name: "y", dtype: dtype, scale: s * 2.91, zeroPoint: dtype.hasPrefix("u") ? 120 : -5)]
        var options = ONNXEncodeOptions()
        options.activations = acts
        let r = try ONNXEncoder.encode(m, weights: [:], options: options)
        #expect(P.defaultOpset(r.model) == (wide ? 21 : 13))
        try TemporaryDirectory.with { dir in
            try S.save(r.model, to: dir + "/q.onnx")
            let params = acts.map { "\($0.name):\($0.scale.bitPattern):\($0.zeroPoint)" }
            let out = try TestProcess.pythonSnippet(#"""
import sys, json, numpy as np, onnx, onnxruntime as ort
path, dtype = sys.argv[1], sys.argv[2]
P = {a.split(":")[0]: (np.float32(np.frombuffer(np.uint32(int(a.split(":")[1])).tobytes(), np.float32)[0]), int(a.split(":")[2])) for a in sys.argv[3:]}
m = onnx.load(path); onnx.checker.check_model(m, full_check=True)
k = next(onnx.numpy_helper.to_array(t) for t in m.graph.initializer if t.name == "k")
info = np.iinfo(dtype)
def qdq(v, name):
    s, z = P[name]
    q = np.clip(np.rint(v / s) + z, info.min, info.max)  # np.rint: round half to even
    return ((q - z) * s).astype(np.float32)
so = ort.SessionOptions(); so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL; so.log_severity_level = 3
sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
rng = np.random.default_rng(5); s, z = P["x"]; worst = 0.0
for t in range(6):
    # exact half steps (ties), far out of range (saturation), and random values
    x = ((np.arange(64) - 32 + 0.5) * s * (t + 1)).astype(np.float32) if t < 3 else (rng.standard_normal(64) * s * 40 * t).astype(np.float32)
    if t == 2: x[:8] = np.float32(1e6) * np.sign(x[:8])
    want = qdq(qdq(np.maximum(qdq(x, "x"), 0), "h") * k, "y")
    got = sess.run(None, {"x": x})[0]
    worst = max(worst, float(np.abs(got - want).max()))
print(json.dumps({"max_abs": worst}))
"""#, [dir + "/q.onnx", dtype] + params)
            let worst = try TestProcess.jsonLines(out).last?["max_abs"] as? Double ?? .infinity
            print("ONNXACT-NUMPY \(dtype): max_abs \(worst)")
            #expect(worst <= 1e-5)
        }
    }

    struct FixtureCase: CustomTestStringConvertible, Sendable {
        var fixture: String
        var dtype: String
        var testDescription: String { "\(fixture) \(dtype)" }
    }

    /// Every float activation of the fixture quantized per tensor with min/max ranges measured in ORT, weights
    /// int8 per-channel: checker-clean, loads, cosine ≥ 0.99 vs the float model; the int32-bias form matches the
    /// float-bias QDQ model within 1e-4 relative.
    @Test(arguments: [FixtureCase(fixture: "cnn", dtype: "uint8"), FixtureCase(fixture: "transformer", dtype: "uint8"),
                      FixtureCase(fixture: "cnn", dtype: "uint16")])
    func fixtureQDQ(_ c: FixtureCase) throws {
        let path = try S.fixturePath(c.fixture, opset: 17), inputs = try S.inputsPath(c.fixture, opset: 17)
        let model = try S.load(path)
        let acts = A.allActivations(model, ranges: try A.ranges(model: path, inputs: inputs), dtype: c.dtype)
        #expect(acts.count >= (c.fixture == "cnn" ? 9 : 30), "\(acts.map(\.name))")
        var options = ONNXEncodeOptions(modelName: "\(c.fixture).onnx")
        options.activations = acts
        let weights = ONNXEncodeRuntimeTests.encodings(model, .int8PerChannel)
        let r = try ONNXEncoder.encode(model, weights: weights, options: options)
        #expect(Self.isTopological(r.model.graph) && r.model.graph.output == model.graph.output && r.model.graph.input == model.graph.input)
        #expect(P.defaultOpset(r.model) == (c.dtype == "uint16" ? 21 : 17))
        let int32 = r.model.graph.initializer.filter { $0.dataType == P.int32 }.map(\.name).sorted()
        if c.fixture == "cnn" { #expect(int32 == ["conv1.bias_quantized", "fc.bias_quantized"], "\(int32)\n\(r.report)") }
        options.quantizeBiases = false
        let floatBias = try ONNXEncoder.encode(model, weights: weights, options: options)
        try TemporaryDirectory.with { dir in
            let check = try S.checkAgainstFixture(r.model, fixture: c.fixture, opset: 17, dir: dir, tag: "qdq")
            print("ONNXACT-QDQ \(c.testDescription): cosine \(check.cosine) max_abs \(check.maxAbs) ops \(check.ops)")
            #expect(check.status == 0 && check.checker && check.loads, "\(check)\n\(r.report.joined(separator: "\n"))")
            #expect(check.cosine >= 0.99, "\(check)")
            #expect(check.ops["QuantizeLinear", default: 0] == acts.count)
            try S.save(floatBias.model, to: dir + "/float-bias.onnx")
            let same = try A.compare([(dir + "/\(c.fixture)-qdq.onnx", dir + "/float-bias.onnx")], inputs: inputs)
            print("ONNXACT-BIAS \(c.testDescription): \(same)")
            // A bias moves by ≤ ½·s_x·s_w, which can push a re-quantized output across one rounding boundary: one
            // uint8 step is ~1/255 of the range, so uint8 outputs agree to ~1e-2 relative and uint16 ones to 1e-4.
            let tolerance = c.dtype == "uint16" || c.fixture == "transformer" ? 1e-4 : 1e-2
            #expect(same.count == 1 && same[0].maxAbs <= tolerance * same[0].maxRef && same[0].cosine >= 0.99999, "\(same)")
        }
    }
}
