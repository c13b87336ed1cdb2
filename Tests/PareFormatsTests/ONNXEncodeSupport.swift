import Foundation
import PareBasics
import PareONNXProto
import SwiftProtobuf
import Testing
@testable import PareFormats

/// Shared helpers of the ONNX encoding tests: fixtures from scripts/onnx_fixtures.py (generated once per opset
/// and process), model I/O, ONNX Runtime checks through scripts/check_onnx.py, and an independent scalar
/// reference quantizer. Everything that needs Python fails (never skips) when Python cannot run.
enum ONNXEncodeSupport {
    // MARK: Fixtures

    static let fixtureNames = ["cnn", "transformer", "constants"]

    private static let lock = NSLock()
    nonisolated(unsafe) private static var fixtureDirs: [Int: String] = [:]

    /// A per-process scratch directory for generated models, removed when the test process exits.
    static let scratch: String = {
        let dir = NSTemporaryDirectory() + "/pare-onnxenc-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: ONNXEncodeSupport.scratch) }
        return dir
    }()

    /// A directory holding cnn.onnx, transformer.onnx, constants.onnx (+ .inputs.npz) at `opset`, seed 0.
    static func fixtures(opset: Int) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let d = fixtureDirs[opset] { return d }
        let dir = scratch + "/fixtures-opset\(opset)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let r = try TestProcess.script("onnx_fixtures.py", [dir, "--only", fixtureNames.joined(separator: ","), "--opset", "\(opset)"])
        guard r.status == 0 else {
            throw TestProcess.Failure(description: "onnx_fixtures.py --opset \(opset) failed (\(r.status)):\n\(r.stderr)")
        }
        fixtureDirs[opset] = dir
        return dir
    }

    static func fixturePath(_ name: String, opset: Int) throws -> String { try fixtures(opset: opset) + "/\(name).onnx" }

    static func inputsPath(_ name: String, opset: Int) throws -> String { try fixtures(opset: opset) + "/\(name).inputs.npz" }

    static func load(_ path: String) throws -> Onnx_ModelProto {
        try Onnx_ModelProto(serializedBytes: try TemporaryDirectory.read(path))
    }

    static func bytes(_ model: Onnx_ModelProto) throws -> [UInt8] { try model.serializedBytes() }

    static func save(_ model: Onnx_ModelProto, to path: String) throws {
        try TemporaryDirectory.write(try bytes(model), to: path)
    }

    // MARK: ONNX Runtime

    struct Check: CustomStringConvertible {
        var json: [String: Any]
        var status: Int32
        var stderr: String

        var checker: Bool { json["checker"] as? Bool ?? false }
        var loads: Bool { json["loads"] as? Bool ?? false }
        var ops: [String: Int] { json["ops"] as? [String: Int] ?? [:] }
        var outputs: [String: [String: Any]] { json["outputs"] as? [String: [String: Any]] ?? [:] }
        /// The smallest cosine_mean over the model's outputs (0 when none were compared).
        var cosine: Double { outputs.values.map { $0["cosine_mean"] as? Double ?? 0 }.min() ?? 0 }
        /// The largest max_abs over the outputs (+∞ when none were compared).
        var maxAbs: Double { outputs.values.map { $0["max_abs"] as? Double ?? .infinity }.max() ?? .infinity }
        var description: String { "status \(status) checker \(checker) loads \(loads) cosine \(cosine) max_abs \(maxAbs) ops \(ops)\n\(stderr)" }
    }

    /// Runs scripts/check_onnx.py on a reference and a candidate model (optionally with an inputs .npz).
    static func check(reference: String, candidate: String, inputs: String? = nil) throws -> Check {
        var args = ["--reference", reference, "--candidate", candidate, "--json"]
        if let inputs { args += ["--inputs", inputs] }
        let r = try TestProcess.script("check_onnx.py", args)
        guard let line = r.lines.last, let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw TestProcess.Failure(description: "check_onnx.py printed no JSON (status \(r.status)):\n\(r.stderr)")
        }
        return Check(json: json, status: r.status, stderr: r.stderr)
    }

    /// Runs pairs of models in ONNX Runtime with graph optimizations disabled (so ORT does not fuse
    /// DequantizeLinear into other kernels), each pair on its inputs .npz, in one Python process; returns per pair
    /// (max |a − b|, mean cosine) over all outputs and samples. float32 inputs are cast for float16 models.
    static func compareUnoptimized(_ triples: [(a: String, b: String, inputs: String)]) throws -> [(maxAbs: Double, cosine: Double)] {
        let code = #"""
import sys, json, numpy as np, onnxruntime as ort
so = ort.SessionOptions(); so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
so.intra_op_num_threads = 1; so.inter_op_num_threads = 1; so.log_severity_level = 3
args = sys.argv[1:]
for a, b, npz in zip(args[0::3], args[1::3], args[2::3]):
    sa = ort.InferenceSession(a, so, providers=["CPUExecutionProvider"])
    sb = ort.InferenceSession(b, so, providers=["CPUExecutionProvider"])
    half = {i.name for i in sb.get_inputs() if i.type == "tensor(float16)"}
    d = np.load(npz); n = len({k.split(".")[0] for k in d.files}); mx = 0.0; cos = []
    for i in range(n):
        feed = {k.split(".", 1)[1]: d[k] for k in d.files if k.startswith(f"{i:04d}.")}
        fb = {k: v.astype(np.float16) if k in half else v for k, v in feed.items()}
        for x, y in zip(sa.run(None, feed), sb.run(None, fb)):
            x = x.astype(np.float64).ravel(); y = y.astype(np.float64).ravel()
            mx = max(mx, float(np.abs(x - y).max())); cos.append(float(x @ y / (np.linalg.norm(x) * np.linalg.norm(y))))
    print(json.dumps({"max_abs": mx, "cosine": float(np.mean(cos))}), flush=True)
"""#
        let r = try TestProcess.pythonSnippet(code, triples.flatMap { [$0.a, $0.b, $0.inputs] })
        let lines = try TestProcess.jsonLines(r)
        guard lines.count == triples.count else {
            throw TestProcess.Failure(description: "comparison printed \(lines.count) results for \(triples.count) pairs: \(r.stderr)")
        }
        return try lines.map { o in
            guard let m = o["max_abs"] as? Double, let c = o["cosine"] as? Double else {
                throw TestProcess.Failure(description: "bad comparison line \(o)")
            }
            return (m, c)
        }
    }

    /// Writes `model` next to the fixture and checks it against the fixture with the fixture's inputs.
    static func checkAgainstFixture(_ model: Onnx_ModelProto, fixture: String, opset: Int, dir: String, tag: String) throws -> Check {
        let candidate = dir + "/\(fixture)-\(tag).onnx"
        try save(model, to: candidate)
        return try check(reference: try fixturePath(fixture, opset: opset), candidate: candidate,
                         inputs: try inputsPath(fixture, opset: opset))
    }

    // MARK: Tensors

    /// The float values of a FLOAT tensor stored as raw_data (as the fixtures store them).
    static func floats(_ t: Onnx_TensorProto) -> [Float] {
        let raw = [UInt8](t.rawData)
        return stride(from: 0, to: raw.count, by: 4).map { i in
            Float(bitPattern: UInt32(raw[i]) | UInt32(raw[i + 1]) << 8 | UInt32(raw[i + 2]) << 16 | UInt32(raw[i + 3]) << 24)
        }
    }

    /// Every FLOAT weight of the main graph (initializers and Constant values): name → (shape, values).
    static func floatWeights(_ m: Onnx_ModelProto) -> [String: (shape: [Int], values: [Float])] {
        var out: [String: (shape: [Int], values: [Float])] = [:]
        for t in m.graph.initializer where t.dataType == 1 { out[t.name] = (t.dims.map { Int($0) }, floats(t)) }
        for n in m.graph.node where n.opType == "Constant" {
            if let a = n.attribute.first(where: { $0.name == "value" }), a.t.dataType == 1 {
                out[n.output[0]] = (a.t.dims.map { Int($0) }, floats(a.t))
            }
        }
        return out
    }

    // MARK: Reference quantizer (independent of the code under test)

    /// numpy-style transpose written naively (per output element, index arithmetic), as a test oracle.
    static func naiveTranspose<T>(_ x: [T], shape: [Int], permutation: [Int]) -> [T] {
        let r = shape.count
        let outShape = permutation.map { shape[$0] }
        var strides = [Int](repeating: 1, count: r)
        for i in stride(from: r - 2, through: 0, by: -1) { strides[i] = strides[i + 1] * shape[i + 1] }
        return (0..<x.count).map { flat in
            var rem = flat, src = 0
            for d in stride(from: r - 1, through: 0, by: -1) {
                let i = rem % outShape[d]
                rem /= outShape[d]
                src += i * strides[permutation[d]]
            }
            return x[src]
        }
    }

    struct Scheme: CustomStringConvertible, Sendable {
        var dtype: String
        var granularity: String
        var group: Int = 0
        var symmetric: Bool
        var description: String { "\(dtype) \(granularity)\(group > 0 ? " \(group)" : "") \(symmetric ? "sym" : "asym")" }
    }

    /// Quantizes `x` (original layout, `shape`) along `axis` with the project's rules: symmetric scale =
    /// max|x| / halfRange, unsigned symmetric zero point 2^(b−1); asymmetric scale = (hi − lo) / (qmax − qmin)
    /// with lo ≤ 0 ≤ hi; q = clamp(rne(x · (1/scale)) + zp); an all-zero block gets scale 1.
    static func quantize(_ x: [Float], shape: [Int], axis: Int, _ s: Scheme) -> ONNXQuantizedWeight {
        let rank = shape.count
        let perm = [axis] + (0..<rank).filter { $0 != axis }
        let m = axis == 0 ? x : naiveTranspose(x, shape: shape, permutation: perm)
        let rows = shape[axis], cols = x.count / rows
        let bits = s.dtype.hasSuffix("4") ? 4 : 8
        let signed = s.dtype.hasPrefix("int")
        let qmin = signed ? -(1 << (bits - 1)) : 0, qmax = signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1
        let half = (1 << (bits - 1)) - 1
        let block = s.granularity == "per-tensor" ? rows * cols : s.granularity == "per-channel" ? cols : s.group
        var codes = [Int](repeating: 0, count: m.count)
        var scales: [Float] = [], zps: [Int32] = []
        for start in stride(from: 0, to: m.count, by: block) {
            let b = m[start..<(start + block)]
            var scale: Float, zp: Int, lo = qmin, hi = qmax
            if s.symmetric {
                zp = signed ? 0 : 1 << (bits - 1)
                scale = b.map { abs($0) }.max()! / Float(half)
                lo = zp - half
                hi = zp + half
                if scale == 0 { scale = 1 }
            } else {
                let l = min(b.min()!, 0), h = max(b.max()!, 0)
                scale = Float((Double(h) - Double(l)) / Double(qmax - qmin))
                if scale == 0 { scale = 1 }
                zp = min(max(Int((Float(qmin) - l / scale).rounded(.toNearestOrEven)), qmin), qmax)
            }
            let inv = 1 / scale
            for (k, v) in b.enumerated() {
                codes[start + k] = min(max(Int((v * inv).rounded(.toNearestOrEven)) + zp, lo), hi)
            }
            scales.append(scale)
            zps.append(Int32(zp))
        }
        var data: [UInt8]
        if bits == 8 {
            data = codes.map { UInt8(truncatingIfNeeded: $0) }
        } else {
            let rb = (cols + 1) / 2
            data = [UInt8](repeating: 0, count: rows * rb)
            for r in 0..<rows {
                for c in 0..<cols {
                    let nib = UInt8(truncatingIfNeeded: codes[r * cols + c]) & 0x0F
                    data[r * rb + c / 2] |= c % 2 == 0 ? nib : nib << 4
                }
            }
        }
        return ONNXQuantizedWeight(dtype: s.dtype, granularity: s.granularity, group: s.group, symmetric: s.symmetric,
                                   axis: axis, shape: shape, data: data, scales: scales, zeroPoints: zps.map(Float.init))
    }

    /// x̂ = (q − zp) · scale in the original layout, computed from the matrix view (oracle for the layouts).
    static func dequantize(_ w: ONNXQuantizedWeight) -> [Float] {
        let rows = w.shape.isEmpty ? 1 : w.shape[w.axis]
        let count = w.shape.reduce(1, *), cols = count / rows
        let bits = w.dtype.hasSuffix("4") ? 4 : 8, signed = w.dtype.hasPrefix("int")
        let block = w.granularity == "per-tensor" ? count : w.granularity == "per-channel" ? cols : w.group
        var m = [Float](repeating: 0, count: count)
        for i in 0..<count {
            var q: Int
            if bits == 8 {
                q = signed ? Int(Int8(bitPattern: w.data[i])) : Int(w.data[i])
            } else {
                let r = i / cols, c = i % cols
                let byte = w.data[r * ((cols + 1) / 2) + c / 2]
                let nib = Int(c % 2 == 0 ? byte & 0x0F : byte >> 4)
                q = signed && nib >= 8 ? nib - 16 : nib
            }
            let b = i / block
            m[i] = (Float(q) - w.zeroPoints[b]) * w.scales[b]
        }
        guard w.axis != 0, w.shape.count > 1 else { return m }
        let perm = [w.axis] + (0..<w.shape.count).filter { $0 != w.axis }
        var inv = [Int](repeating: 0, count: perm.count)
        for (i, p) in perm.enumerated() { inv[p] = i }
        return naiveTranspose(m, shape: perm.map { w.shape[$0] }, permutation: inv)
    }
}

extension SplitMix64 {
    /// Approximately N(0, 1) (sum of 12 uniforms − 6), deterministic.
    mutating func gaussian() -> Float {
        var s: Float = 0
        for _ in 0..<12 { s += Float.random(in: 0..<1, using: &self) }
        return s - 6
    }
}
