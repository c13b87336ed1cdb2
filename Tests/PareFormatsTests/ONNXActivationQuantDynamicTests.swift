import Foundation
import PareBasics
import PareONNXProto
import Testing
@testable import PareFormats

/// The dynamic form (DynamicQuantizeLinear + MatMulInteger / ConvInteger) and bad activation input.
@Suite struct ONNXActivationQuantDynamicTests {
    typealias S = ONNXEncodeSupport
    typealias A = ONNXActivationQuantSupport
    typealias P = ONNXEncodeProto

    @Test(arguments: [4, 5] as [UInt64])
    func dynamicStructure(seed: UInt64) throws {
        let m = A.smallModel(seed: seed, opset: 13)
        let weights = A.weights(m)
        var options = ONNXEncodeOptions()
        options.dynamicActivations = true
        let r = try ONNXEncoder.encode(m, weights: weights, options: options)
        let g = r.model.graph
        #expect(ONNXActivationQuantTests.isTopological(g) && g.input == m.graph.input && g.output == m.graph.output)
        let ops = g.node.map { "\($0.opType):\($0.input.joined(separator: ","))>\($0.output.joined(separator: ","))" }
        #expect(ops == [
            "DynamicQuantizeLinear:x>x_quantized,x_scale,x_zero_point",
            "DynamicQuantizeLinear:img>img_quantized,img_scale,img_zero_point",
            "Mul:x_scale,W_scale>mm_quant_scales_mul",
            "MatMulInteger:x_quantized,W_quantized_uint8,x_zero_point,W_zero_point_uint8>h_int32",
            "Cast:h_int32>h_int32_float",
            "Mul:h_int32_float,mm_quant_scales_mul>h",
            "Relu:h>r",
            "DynamicQuantizeLinear:r>r_quantized,r_scale,r_zero_point",
            "Mul:r_scale,G_scale>gemm_quant_scales_mul",
            "MatMulInteger:r_quantized,G_quantized_uint8,r_zero_point,G_zero_point_uint8>z_int32",
            "Cast:z_int32>z_int32_float",
            "Mul:z_int32_float,gemm_quant_scales_mul>z_MatMul",
            "Add:z_MatMul,C>z",
            "Mul:img_scale,CW_scale_reshaped>conv_quant_scales_mul",
            "ConvInteger:img_quantized,CW_quantized_uint8,img_zero_point,CW_zero_point_scalar>c_int32",
            "Cast:c_int32>c_int32_float",
            "Mul:c_int32_float,conv_quant_scales_mul>c_nobias",
            "Reshape:CB,CB_reshape_shape>CB_reshaped",
            "Add:c_nobias,CB_reshaped>c",
            "Relu:c>co",
        ], "\(ops)")
        // Codes: int8 codes q stored as uint8 q + 128 (zero points 0 + 128), so ORT's exact uint8 × uint8 kernels run;
        // W as written; G transposed from [5, 6] to [6, 5]; zero points per column.
        guard case .quantized(let gq) = weights["G"]!, case .quantized(let wq) = weights["W"]! else { return }
        let gt = try #require(ONNXActivationQuantTests.initializer(r.model, "G_quantized_uint8"))
        #expect(gt.dataType == P.uint8 && gt.dims == [6, 5]
                && [UInt8](gt.rawData) == S.naiveTranspose(gq.data, shape: [5, 6], permutation: [1, 0]).map { $0 &+ 128 })
        let wc = try #require(ONNXActivationQuantTests.initializer(r.model, "W_quantized_uint8"))
        // W is quantized per channel along axis 1: pare's rows are columns of [8, 6].
        #expect([UInt8](wc.rawData) == S.naiveTranspose(wq.data, shape: [6, 8], permutation: [1, 0]).map { $0 &+ 128 })
        let zp = try #require(ONNXActivationQuantTests.initializer(r.model, "W_zero_point_uint8"))
        #expect(zp.dataType == P.uint8 && zp.dims == [6] && [UInt8](zp.rawData) == [UInt8](repeating: 128, count: 6))
        #expect(ONNXActivationQuantTests.initializer(r.model, "G_quantized") == nil, "unread codes are removed")
        #expect(r.report.contains("dynamic form: 1 Conv → ConvInteger, 1 Gemm → MatMulInteger (+ Add), 1 MatMul → MatMulInteger; 3 DynamicQuantizeLinear"), "\(r.report)")
        let again = try ONNXEncoder.encode(m, weights: weights, options: options)
        #expect(try S.bytes(again.model) == S.bytes(r.model))
        try TemporaryDirectory.with { dir in
            try S.save(m, to: dir + "/f.onnx")
            // uint8 weights: ORT's u8s8 MatMulInteger / ConvInteger saturate int16 pair sums on AVX2 CPUs without
            // VNNI (measured: off by up to 16370 on random full-range codes), its u8u8 kernels are exact.
            let u8 = try ONNXEncoder.encode(m, weights: A.weights(m, .init(dtype: "uint8", granularity: "per-tensor", symmetric: false)),
                                            options: options)
            try S.save(u8.model, to: dir + "/d.onnx")
            // ORT (optimizations off) against numpy computing the same integer form from the model's own codes.
            let out = try TestProcess.pythonSnippet(#"""
import sys, json, numpy as np, onnx, onnxruntime as ort
from onnx import numpy_helper as nh
m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True)
I = {t.name: nh.to_array(t) for t in m.graph.initializer}
def dql(a):  # DynamicQuantizeLinear: uint8, range includes 0, round half to even, saturate
    lo, hi = min(0.0, float(a.min())), max(0.0, float(a.max())); s = np.float32((hi - lo) / 255.0)
    z = np.clip(np.rint(-lo / s), 0, 255); return np.clip(np.rint(a / s) + z, 0, 255).astype(np.int64), s, z
def conv(x, w):  # NCHW, pad 1, stride 1, integers
    n, c, hh, ww = x.shape; xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1))); o = np.zeros((n, w.shape[0], hh, ww), np.int64)
    for i in range(hh):
        for j in range(ww): o[:, :, i, j] = np.einsum("ncij,ocij->no", xp[:, :, i:i + 3, j:j + 3], w)
    return o
so = ort.SessionOptions(); so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL; so.log_severity_level = 3
sess = ort.InferenceSession(sys.argv[1], so, providers=["CPUExecutionProvider"])
d = np.load(sys.argv[2]); worst = 0.0
for i in range(4):
    x, img = d[f"{i:04d}.x"], d[f"{i:04d}.img"]
    q, s, z = dql(x)
    h = (q - z) @ (I["W_quantized"].astype(np.int64) - I["W_zero_point"]) * (s * I["W_scale"])
    q, s, z = dql(np.maximum(h.astype(np.float32), 0))
    zz = ((q - z) @ (I["G_quantized_transposed"].astype(np.int64) - I["G_zero_point"])).astype(np.float32) * (s * I["G_scale"]) + I["C"]
    q, s, z = dql(img)
    c = conv(q - z, I["CW_quantized"].astype(np.int64) - I["CW_zero_point_scalar"]).astype(np.float32) * (s * I.get("CW_scale_reshaped", I["CW_scale"]))
    c = np.maximum(c + I["CB"].reshape(1, -1, 1, 1), 0)
    for want, got in zip([zz, c], sess.run(None, {"x": x, "img": img})):
        worst = max(worst, float(np.abs(got - want).max() / np.abs(want).max()))
print(json.dumps({"rel": worst}))
"""#, [dir + "/d.onnx", try A.smallInputs(dir: dir, seed: seed)])
            let rel = try TestProcess.jsonLines(out).last?["rel"] as? Double ?? .infinity
            print("ONNXACT-DYNAMIC-NUMPY seed \(seed): max relative error \(rel)")
            #expect(rel <= 1e-5)
        }
    }

    /// Weights that cannot feed an integer kernel keep their DequantizeLinear form, with the reason in the report.
    @Test func dynamicKeepsIneligible() throws {
        let m = A.smallModel(seed: 6, opset: 13)
        var weights = A.weights(m, .init(dtype: "uint8", granularity: "per-channel", symmetric: false))
        let w = S.floatWeights(m)["W"]!
        weights["W"] = .quantized(S.quantize(w.values, shape: w.shape, axis: 1, .init(dtype: "int4", granularity: "per-channel", symmetric: true)))
        var options = ONNXEncodeOptions()
        options.dynamicActivations = true
        let r = try ONNXEncoder.encode(m, weights: weights, options: options)
        let ops = r.model.graph.node.map(\.opType)
        #expect(ops.contains("MatMul") && ops.contains("Conv") && ops.filter { $0 == "MatMulInteger" }.count == 1, "\(ops)")
        #expect(r.report.contains("node 'mm' (MatMul) keeps weight 'W' as DequantizeLinear (not the dynamic form): it is int4; integer kernels take int8 / uint8 weights"), "\(r.report)")
        #expect(r.report.contains { $0.hasPrefix("node 'conv' (Conv) keeps weight 'CW'") && $0.contains("scalar w_zero_point") }, "\(r.report)")
        let gzp = try #require(ONNXActivationQuantTests.initializer(r.model, "G_zero_point"))
        #expect(gzp.dataType == P.uint8 && gzp.dims == [5])
    }

    /// The fixtures in the dynamic form: load in ORT, cosine ≥ 0.99 vs the float model, and ORT's optimizer fuses
    /// every MatMulInteger chain (com.microsoft.DynamicQuantizeMatMul / MatMulIntegerToFloat).
    @Test(arguments: ["cnn", "transformer"])
    func dynamicFixtures(fixture: String) throws {
        let model = try S.load(try S.fixturePath(fixture, opset: 17))
        var options = ONNXEncodeOptions(modelName: "\(fixture).onnx")
        options.dynamicActivations = true
        let r = try ONNXEncoder.encode(model, weights: ONNXEncodeRuntimeTests.encodings(model, .int8PerChannel), options: options)
        try TemporaryDirectory.with { dir in
            let check = try S.checkAgainstFixture(r.model, fixture: fixture, opset: 17, dir: dir, tag: "dynamic")
            print("ONNXACT-DYNAMIC \(fixture): cosine \(check.cosine) ops \(check.ops)\n\(r.report.prefix(3).joined(separator: "\n"))")
            #expect(check.status == 0 && check.checker && check.loads, "\(check)")
            #expect(check.cosine >= 0.99, "\(check)")
            let integerOps = check.ops["MatMulInteger", default: 0] + check.ops["ConvInteger", default: 0]
            #expect(integerOps == (fixture == "cnn" ? 3 : 7), "\(check.ops)")
            let fused = try TestProcess.pythonSnippet(#"""
import sys, onnx, onnxruntime as ort
so = ort.SessionOptions(); so.optimized_model_filepath = sys.argv[2]; so.log_severity_level = 3
ort.InferenceSession(sys.argv[1], so, providers=["CPUExecutionProvider"])
ops = [n.op_type for n in onnx.load(sys.argv[2]).graph.node]
print(ops.count("DynamicQuantizeMatMul") + ops.count("MatMulIntegerToFloat"), ops.count("MatMulInteger"))
"""#, [dir + "/\(fixture)-dynamic.onnx", dir + "/optimized.onnx"])
            let want = fixture == "cnn" ? 1 : 7
            // ORT fuses every MatMulInteger chain (DynamicQuantizeMatMul, or MatMulIntegerToFloat when the
            // DynamicQuantizeLinear is shared), as it does for quantize_dynamic's own output.
            #expect(fused.lines.last == "\(want) 0", "\(fused.stdout)")
        }
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        var label: String
        var fragment: String
        var tensor: String?
        var testDescription: String { label }
    }

    @Test(arguments: [
        Bad(label: "unknown name", fragment: "did you mean 'relu'", tensor: "rleu"),
        Bad(label: "initializer", fragment: "is an initializer", tensor: "W"),
        Bad(label: "bad dtype", fragment: "activation dtype 'int4' is not one of uint8, int8, uint16, int16", tensor: "h"),
        Bad(label: "zero point out of range", fragment: "outside the uint8 range", tensor: "h"),
        Bad(label: "uint16 on a model that cannot be upgraded", fragment: "need opset 21 but the model stays at opset 8", tensor: nil),
        Bad(label: "uint16 pinned to opset 13", fragment: "need opset 21 but the model stays at opset 13 (targetOpset)", tensor: nil),
        Bad(label: "static and dynamic", fragment: "exclusive", tensor: nil),
    ])
    func badInput(_ b: Bad) throws {
        var m = A.smallModel(seed: 1)
        var options = ONNXEncodeOptions(modelName: "m.onnx")
        switch b.label {
        case "unknown name":
            m.graph.node[1].output = ["relu"]
            m.graph.node[2].input[0] = "relu"
            options.activations = [ONNXActivationQuant(name: "rleu", dtype: "uint8", scale: 0.1, zeroPoint: 0)]
        case "initializer": options.activations = [ONNXActivationQuant(name: "W", dtype: "uint8", scale: 0.1, zeroPoint: 0)]
        case "bad dtype": options.activations = [ONNXActivationQuant(name: "h", dtype: "int4", scale: 0.1, zeroPoint: 0)]
        case "zero point out of range": options.activations = [ONNXActivationQuant(name: "h", dtype: "uint8", scale: 0.1, zeroPoint: 256)]
        case "uint16 on a model that cannot be upgraded":
            // BatchNormalization with spatial = 0 has no opset-9 equivalent.
            let bn = P.node("BatchNormalization", ["x", "s", "b", "mu", "v"], ["y"], name: "bn", attributes: [P.intAttr("spatial", 0)])
            m = A.model(nodes: [bn], inputs: [A.vi("x", [2, 3])], outputs: [A.vi("y", [2, 3])],
                        initializers: ["s", "b", "mu", "v"].map { P.floats($0, dims: [3], [1, 1, 1]) }, opset: 8)
            options.activations = [ONNXActivationQuant(name: "x", dtype: "uint16", scale: 0.1, zeroPoint: 0)]
        case "uint16 pinned to opset 13":
            options.targetOpset = 13
            options.activations = [ONNXActivationQuant(name: "h", dtype: "uint16", scale: 0.1, zeroPoint: 0)]
        default:
            options.dynamicActivations = true
            options.activations = [ONNXActivationQuant(name: "h", dtype: "uint8", scale: 0.1, zeroPoint: 0)]
        }
        do {
            _ = try ONNXEncoder.encode(m, weights: [:], options: options)
            Issue.record("no error")
        } catch let e as FormatError {
            #expect(e.file == "m.onnx" && e.tensor == b.tensor && e.message.contains(b.fragment), "\(e)")
        }
    }

    /// A weight's own DequantizeLinear output (in a model that is already quantized) cannot be quantized again.
    @Test func dequantizedWeightIsRefused() throws {
        let m = A.smallModel(seed: 1)
        let encoded = try ONNXEncoder.encode(m, weights: A.weights(m), options: ONNXEncodeOptions()).model
        var options = ONNXEncodeOptions(modelName: "m.onnx")
        options.activations = [ONNXActivationQuant(name: "W", dtype: "int8", scale: 0.1, zeroPoint: 0)]
        #expect(throws: FormatError.self) { try ONNXEncoder.encode(encoded, weights: [:], options: options) }
        do { _ = try ONNXEncoder.encode(encoded, weights: [:], options: options) } catch let e as FormatError {
            #expect(e.message.contains("dequantized by DequantizeLinear from initializer 'W_quantized'"), "\(e)")
        }
    }
}
