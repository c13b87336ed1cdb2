import Foundation
import PareBasics
import PareONNXProto
import Testing
@testable import PareFormats

/// Helpers of the activation-quantization tests: a small hand-built model (MatMul, Gemm transB, Conv with
/// biases), activation ranges measured in ONNX Runtime, per-tensor parameters from ranges, and Python runs.
enum ONNXActivationQuantSupport {
    typealias P = ONNXEncodeProto
    typealias S = ONNXEncodeSupport

    static func vi(_ name: String, _ dims: [Int], type: Int32 = 1) -> Onnx_ValueInfoProto {
        var v = Onnx_ValueInfoProto()
        v.name = name
        var tt = Onnx_TypeProto.Tensor()
        tt.elemType = type
        var shape = Onnx_TensorShapeProto()
        shape.dim = dims.map { d in
            var x = Onnx_TensorShapeProto.Dimension()
            x.dimValue = Int64(d)
            return x
        }
        tt.shape = shape
        v.type.tensorType = tt
        return v
    }

    static func model(nodes: [Onnx_NodeProto], inputs: [Onnx_ValueInfoProto], outputs: [Onnx_ValueInfoProto],
                      initializers: [Onnx_TensorProto], opset: Int) -> Onnx_ModelProto {
        var m = Onnx_ModelProto()
        m.irVersion = Int64(ONNXOpset.minimumIRVersion(forOpset: opset))
        var g = Onnx_GraphProto()
        g.name = "g"
        g.node = nodes
        g.input = inputs
        g.output = outputs
        g.initializer = initializers
        m.graph = g
        P.setOpset(&m, domain: "", version: opset)
        return m
    }

    static func gaussians(_ n: Int, _ rng: inout SplitMix64, scale: Float = 1) -> [Float] {
        (0..<n).map { _ in rng.gaussian() * scale }
    }

    /// x [2, 8] → MatMul(W [8, 6]) → h → Relu → r → Gemm(G [5, 6], C [5], transB = 1) → z (output);
    /// img [1, 3, 6, 6] → Conv(CW [4, 3, 3, 3], CB [4], pads 1) → c → Relu → co (output).
    static func smallModel(seed: UInt64, opset: Int = 13) -> Onnx_ModelProto {
        var rng = SplitMix64(seed: seed)
        let inits = [
            P.floats("W", dims: [8, 6], gaussians(48, &rng, scale: 0.5)),
            P.floats("G", dims: [5, 6], gaussians(30, &rng, scale: 0.5)),
            P.floats("C", dims: [5], gaussians(5, &rng, scale: 0.2)),
            P.floats("CW", dims: [4, 3, 3, 3], gaussians(108, &rng, scale: 0.3)),
            P.floats("CB", dims: [4], gaussians(4, &rng, scale: 0.2)),
        ]
        let nodes = [
            P.node("MatMul", ["x", "W"], ["h"], name: "mm"),
            P.node("Relu", ["h"], ["r"], name: "relu"),
            P.node("Gemm", ["r", "G", "C"], ["z"], name: "gemm", attributes: [P.intAttr("transB", 1)]),
            P.node("Conv", ["img", "CW", "CB"], ["c"], name: "conv", attributes: [P.intsAttr("pads", [1, 1, 1, 1])]),
            P.node("Relu", ["c"], ["co"], name: "crelu"),
        ]
        return model(nodes: nodes, inputs: [vi("x", [2, 8]), vi("img", [1, 3, 6, 6])],
                     outputs: [vi("z", [2, 5]), vi("co", [1, 4, 6, 6])], initializers: inits, opset: opset)
    }

    /// Random inputs for `smallModel` as an .npz written by numpy (seeded).
    static func smallInputs(dir: String, seed: UInt64) throws -> String {
        let path = dir + "/small.inputs.npz"
        _ = try TestProcess.pythonSnippet(#"""
import sys, numpy as np
rng = np.random.default_rng(int(sys.argv[2])); d = {}
for i in range(4):
    d[f"{i:04d}.x"] = rng.standard_normal((2, 8)).astype(np.float32)
    d[f"{i:04d}.img"] = rng.standard_normal((1, 3, 6, 6)).astype(np.float32)
np.savez(sys.argv[1], **d)
"""#, [path, "\(seed)"])
        return path
    }

    /// int8 symmetric per-channel encodings of every weight with a channel axis (or `scheme` instead).
    static func weights(_ m: Onnx_ModelProto, _ scheme: S.Scheme = .init(dtype: "int8", granularity: "per-channel", symmetric: true))
        -> [String: ONNXWeightEncoding] {
        let uses = ONNXUsage.analyze(m.graph)
        var out: [String: ONNXWeightEncoding] = [:]
        for (name, w) in S.floatWeights(m) where w.shape.count >= 2 {
            guard let axis = uses[name]?.channelAxis else { continue }
            out[name] = .quantized(S.quantize(w.values, shape: w.shape, axis: axis, scheme))
        }
        return out
    }

    /// min / max of every FLOAT graph input and node output over the inputs' samples (ORT, optimizations off).
    static func ranges(model path: String, inputs: String) throws -> [String: (lo: Float, hi: Float)] {
        let r = try TestProcess.pythonSnippet(#"""
import sys, json, numpy as np, onnx, onnxruntime as ort
m = onnx.load(sys.argv[1]); names = [o for n in m.graph.node for o in n.output if o]
have = {o.name for o in m.graph.output}
m.graph.output.extend(onnx.ValueInfoProto(name=n) for n in names if n not in have)
so = ort.SessionOptions(); so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL; so.log_severity_level = 3
s = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
outs = [o.name for o in s.get_outputs()]; d = np.load(sys.argv[2]); n = len({k.split(".")[0] for k in d.files})
lo, hi = {}, {}
for i in range(n):
    feed = {k.split(".", 1)[1]: d[k] for k in d.files if k.startswith(f"{i:04d}.")}
    vals = dict(zip(outs, s.run(None, feed))); vals.update(feed)
    for k, v in vals.items():
        if v.dtype != np.float32: continue
        lo[k] = min(lo.get(k, np.inf), float(v.min())); hi[k] = max(hi.get(k, -np.inf), float(v.max()))
print(json.dumps({k: [lo[k], hi[k]] for k in lo}))
"""#, [path, inputs])
        let obj = try TestProcess.jsonLines(r).last ?? [:]
        var out: [String: (lo: Float, hi: Float)] = [:]
        for (k, v) in obj {
            if let a = v as? [Double], a.count == 2 { out[k] = (Float(a[0]), Float(a[1])) }
        }
        return out
    }

    /// Per-tensor parameters from a range: unsigned types asymmetric (0 representable), signed symmetric.
    static func params(_ name: String, lo: Float, hi: Float, dtype: String) -> ONNXActivationQuant {
        let l = min(lo, 0), h = max(hi, 0)
        switch dtype {
        case "int8", "int16":
            let half: Float = dtype == "int8" ? 127 : 32767
            let s = max(abs(l), abs(h)) / half
            return ONNXActivationQuant(name: name, dtype: dtype, scale: s > 0 ? s : 1, zeroPoint: 0)
        default:
            let qmax: Float = dtype == "uint8" ? 255 : 65535
            var s = (h - l) / qmax
            if s <= 0 { s = 1 }
            let zp = min(max((-l / s).rounded(.toNearestOrEven), 0), qmax)
            return ONNXActivationQuant(name: name, dtype: dtype, scale: s, zeroPoint: Int32(zp))
        }
    }

    /// Activation parameters for every FLOAT value the ranges saw (graph inputs and node outputs that are not
    /// weights: initializers, Constant outputs and the weights' own DequantizeLinear outputs are skipped).
    static func allActivations(_ m: Onnx_ModelProto, ranges: [String: (lo: Float, hi: Float)], dtype: String) -> [ONNXActivationQuant] {
        let weights = Set(S.floatWeights(m).keys).union(m.graph.initializer.map(\.name))
        return ranges.keys.sorted().filter { !weights.contains($0) }.map { params($0, lo: ranges[$0]!.lo, hi: ranges[$0]!.hi, dtype: dtype) }
    }

    /// Runs model pairs in ORT (optimizations off) on an .npz and returns, per pair, max |a − b|, max |b| and the
    /// mean cosine over outputs and samples.
    static func compare(_ pairs: [(a: String, b: String)], inputs: String) throws -> [(maxAbs: Double, maxRef: Double, cosine: Double)] {
        let r = try TestProcess.pythonSnippet(#"""
import sys, json, numpy as np, onnx, onnxruntime as ort
so = ort.SessionOptions(); so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL; so.log_severity_level = 3
d = np.load(sys.argv[1]); n = len({k.split(".")[0] for k in d.files}); args = sys.argv[2:]
for a, b in zip(args[0::2], args[1::2]):
    onnx.checker.check_model(onnx.load(b), full_check=True)
    sa = ort.InferenceSession(a, so, providers=["CPUExecutionProvider"]); sb = ort.InferenceSession(b, so, providers=["CPUExecutionProvider"])
    mx = 0.0; ref = 0.0; cos = []
    for i in range(n):
        feed = {k.split(".", 1)[1]: d[k] for k in d.files if k.startswith(f"{i:04d}.")}
        for x, y in zip(sa.run(None, feed), sb.run(None, feed)):
            x = x.astype(np.float64).ravel(); y = y.astype(np.float64).ravel()
            mx = max(mx, float(np.abs(x - y).max())); ref = max(ref, float(np.abs(y).max()))
            cos.append(float(x @ y / (np.linalg.norm(x) * np.linalg.norm(y) + 1e-30)))
    print(json.dumps([mx, ref, float(np.mean(cos))]), flush=True)
"""#, [inputs] + pairs.flatMap { [$0.a, $0.b] })
        return r.lines.compactMap { line in
            guard let a = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [Double], a.count == 3 else { return nil }
            return (a[0], a[1], a[2])
        }
    }
}
