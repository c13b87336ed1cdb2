import Foundation
import PareBasics
import PareONNXProto
import Testing
@testable import PareFormats

/// End to end: quantize / cast the fixtures' weights with the test's reference quantizer, encode them, and
/// check the result in ONNX Runtime against the float model (scripts/check_onnx.py with the fixture inputs):
/// the checker passes, ORT loads it, and the cosine of the outputs meets the project's floors.
@Suite struct ONNXEncodeRuntimeTests {
    typealias S = ONNXEncodeSupport

    enum Kind: String, Sendable {
        case int8PerChannel = "int8 per-channel"
        case uint8PerTensorAsym = "uint8 asym per-tensor"
        case uint8PerChannelAsym = "uint8 asym per-channel"
        case int4Group32 = "int4 per-group 32"
        case uint4Group32Asym = "uint4 asym per-group 32"
        case float16, bfloat16
        /// int4 per-group 32 for the MatMul weights of the encoder block, int8 per-channel for the embedding table
        /// and the LM head (the layers the measurements show are most sensitive).
        case int4BlockInt8Edges = "int4 per-group 32 block + int8 embedding/lm_head"
    }

    struct Config: CustomTestStringConvertible, Sendable {
        var fixture: String
        var opset: Int
        var kind: Kind
        var minCosine: Double
        var nbits = false
        var targetOpset: Int?
        var fp16Compute = false
        var testDescription: String {
            "\(fixture) opset \(opset) \(kind.rawValue)\(nbits ? " MatMulNBits" : "")\(targetOpset.map { " target \($0)" } ?? "")"
                + (fp16Compute ? " fp16-compute" : "")
        }
    }

    /// Encodings for every weight that has a channel axis (quantized kinds) or every float weight of rank ≥ 1
    /// (float kinds). Per-group weights whose columns are not a multiple of 32 use per-channel instead.
    static func encodings(_ m: Onnx_ModelProto, _ kind: Kind) -> [String: ONNXWeightEncoding] {
        let uses = ONNXUsage.analyze(m.graph)
        var out: [String: ONNXWeightEncoding] = [:]
        for (name, w) in S.floatWeights(m) where !w.shape.isEmpty {
            switch kind {
            case .float16:
                out[name] = .float16(w.values.map { Float16($0).bitPattern })
            case .bfloat16:
                out[name] = .bfloat16(w.values.map { v in
                    let b = v.bitPattern
                    return UInt16((b &+ 0x7FFF &+ ((b >> 16) & 1)) >> 16)
                })
            default:
                guard let axis = uses[name]?.channelAxis, w.shape.count >= 2 else { continue }
                let cols = w.values.count / w.shape[axis]
                let edge = name.contains("embed") || name.contains("lm_head")
                let scheme: S.Scheme = switch kind {
                case .int8PerChannel: .init(dtype: "int8", granularity: "per-channel", symmetric: true)
                case .uint8PerTensorAsym: .init(dtype: "uint8", granularity: "per-tensor", symmetric: false)
                case .int4BlockInt8Edges: edge ? .init(dtype: "int8", granularity: "per-channel", symmetric: true)
                    : .init(dtype: "int4", granularity: "per-group", group: 32, symmetric: true)
                case .uint8PerChannelAsym: .init(dtype: "uint8", granularity: "per-channel", symmetric: false)
                case .int4Group32: cols % 32 == 0 ? .init(dtype: "int4", granularity: "per-group", group: 32, symmetric: true)
                    : .init(dtype: "int4", granularity: "per-channel", symmetric: true)
                default: cols % 32 == 0 ? .init(dtype: "uint4", granularity: "per-group", group: 32, symmetric: false)
                    : .init(dtype: "uint4", granularity: "per-channel", symmetric: false)
                }
                out[name] = .quantized(S.quantize(w.values, shape: w.shape, axis: axis, scheme))
            }
        }
        return out
    }

    /// Cosine floors against the float model. int8 per-channel: the project's floor 0.999. 4-bit per-group 32:
    /// the project's floor is 0.99, but plain absmax int4 quantization of *every* weight of these fixtures measures
    /// below it (cnn 0.963, transformer 0.981, constants 0.986; the encoding itself is exact, see
    /// `matchesDequantizedWeights`), so these floors sit just under the measured values to catch regressions.
    static func floor(_ fixture: String, _ kind: Kind) -> Double {
        switch kind {
        case .int8PerChannel, .uint8PerChannelAsym, .bfloat16: return 0.999
        case .int4BlockInt8Edges: return 0.99
        case .uint8PerTensorAsym: return 0.995
        case .float16: return 0.9999
        case .int4Group32: return ["cnn": 0.96, "transformer": 0.978, "constants": 0.983][fixture]!
        case .uint4Group32Asym: return ["cnn": 0.945, "transformer": 0.984, "constants": 0.978][fixture]!
        }
    }

    static let configs: [Config] = {
        var c: [Config] = []
        for f in S.fixtureNames {
            for k in [Kind.int8PerChannel, .uint8PerChannelAsym, .int4Group32, .uint4Group32Asym, .float16, .bfloat16] {
                c.append(Config(fixture: f, opset: 17, kind: k, minCosine: floor(f, k)))
            }
            // Opset 11: int8 per-channel needs 13, int4 needs 21 → upgrades.
            c.append(Config(fixture: f, opset: 11, kind: .int8PerChannel, minCosine: floor(f, .int8PerChannel)))
            c.append(Config(fixture: f, opset: 11, kind: .int4Group32, minCosine: floor(f, .int4Group32)))
            // Opset 21 already has blocked int4 DequantizeLinear: no upgrade.
            c.append(Config(fixture: f, opset: 21, kind: .int4Group32, minCosine: floor(f, .int4Group32)))
            // Pinned to opset 11: the Cast/Mul fallback.
            c.append(Config(fixture: f, opset: 11, kind: .int8PerChannel, minCosine: floor(f, .int8PerChannel), targetOpset: 11))
            c.append(Config(fixture: f, opset: 17, kind: .float16, minCosine: 0.999, fp16Compute: true))
        }
        for f in ["transformer", "constants"] {
            c.append(Config(fixture: f, opset: 17, kind: .int4Group32, minCosine: floor(f, .int4Group32), nbits: true))
            c.append(Config(fixture: f, opset: 17, kind: .uint4Group32Asym, minCosine: floor(f, .uint4Group32Asym), nbits: true))
        }
        c.append(Config(fixture: "transformer", opset: 11, kind: .int4Group32, minCosine: floor("transformer", .int4Group32), targetOpset: 11))
        c.append(Config(fixture: "transformer", opset: 17, kind: .int8PerChannel, minCosine: 0.999, fp16Compute: true))
        c.append(Config(fixture: "transformer", opset: 17, kind: .int4Group32, minCosine: floor("transformer", .int4Group32),
                        nbits: true, fp16Compute: true))
        c.append(Config(fixture: "cnn", opset: 11, kind: .int8PerChannel, minCosine: 0.999, targetOpset: 11, fp16Compute: true))
        c.append(Config(fixture: "transformer", opset: 17, kind: .int4BlockInt8Edges, minCosine: 0.99))
        // Per-tensor DequantizeLinear exists from opset 10: an opset-11 model keeps its opset.
        c.append(Config(fixture: "cnn", opset: 11, kind: .uint8PerTensorAsym, minCosine: floor("cnn", .uint8PerTensorAsym)))
        // Fallback with zero points and the matrix form (Sub, Reshape, Transpose).
        c.append(Config(fixture: "constants", opset: 11, kind: .uint4Group32Asym, minCosine: floor("constants", .uint4Group32Asym),
                        targetOpset: 11))
        c.append(Config(fixture: "transformer", opset: 17, kind: .int4BlockInt8Edges, minCosine: 0.99, nbits: true))
        return c
    }()

    @Test(arguments: configs)
    func encodedModelRunsInORT(_ c: Config) throws {
        let model = try S.load(try S.fixturePath(c.fixture, opset: c.opset))
        let weights = Self.encodings(model, c.kind)
        #expect(!weights.isEmpty)
        let options = ONNXEncodeOptions(allowMatMulNBits: c.nbits, keepFloat16Compute: c.fp16Compute, targetOpset: c.targetOpset,
                                        modelName: "\(c.fixture).onnx")
        let r = try ONNXEncoder.encode(model, weights: weights, options: options)
        try TemporaryDirectory.with { dir in
            let check = try S.checkAgainstFixture(r.model, fixture: c.fixture, opset: c.opset, dir: dir, tag: "encoded")
            print("ONNXENC-METRIC \(c.testDescription): cosine_mean \(check.cosine) max_abs \(check.maxAbs) "
                  + "sqnr \(check.outputs.values.first?["sqnr_db"] ?? "nil") ops \(check.ops)")
            #expect(check.status == 0 && check.checker && check.loads, "\(check)\n\(r.report.joined(separator: "\n"))")
            #expect(check.cosine >= c.minCosine, "\(check)")
            let quantized = weights.values.filter { if case .quantized = $0 { return true } else { return false } }.count
            let ops = check.ops
            let finalOpset = ONNXEncodeProto.defaultOpset(r.model)!
            switch c.kind {
            case .float16, .bfloat16:
                #expect(ops["Cast", default: 0] >= (c.fp16Compute ? 0 : weights.count))
                if c.fp16Compute { #expect(r.model.graph.input.allSatisfy { $0.type.tensorType.elemType != 1 }) }
            default:
                let nbits = ops["com.microsoft:MatMulNBits", default: 0]
                if c.nbits {
                    #expect(nbits == (c.fixture == "constants" ? 3 : c.kind == .int4BlockInt8Edges ? 6 : 7))
                    #expect(r.model.opsetImport.contains { $0.domain == "com.microsoft" && $0.version == 1 })
                } else if c.targetOpset == 11 {
                    #expect(ops["DequantizeLinear", default: 0] == 0 && ops["Mul", default: 0] >= quantized)
                    #expect(finalOpset == 11 && r.report.contains { $0.contains("fallback") })
                } else {
                    #expect(nbits == 0 && ops["DequantizeLinear", default: 0] == quantized)
                }
                if c.opset == 21 { #expect(finalOpset == 21 && !r.report.contains { $0.hasPrefix("ai.onnx opset") }) }
                if c.opset == 11 && c.targetOpset == nil {
                    let want = c.kind == .int8PerChannel ? 13 : c.kind == .uint8PerTensorAsym ? 11 : 21
                    if want == 11 { #expect(finalOpset == 11 && !r.report.contains { $0.contains("opset 11 →") }) } else {
                    #expect(finalOpset == want && r.report.contains { $0.contains("opset 11 → \(want)") })
                    }
                }
            }
        }
    }

    /// Every configuration's encoded model computes exactly what the float model computes with its weights replaced
    /// by the dequantized values (ORT with graph optimizations disabled, so no fused kernels; one Python process).
    @Test func matchesDequantizedWeights() throws {
        try TemporaryDirectory.with { dir in
            var triples: [(a: String, b: String, inputs: String)] = []
            // The opset-11 configurations that upgrade encode like the opset-17 ones (the upgrade is tested alone).
            let chosen = Self.configs.filter { !($0.opset == 11 && $0.targetOpset == nil && $0.kind != .uint8PerTensorAsym) }
            for (k, c) in chosen.enumerated() {
                let model = try S.load(try S.fixturePath(c.fixture, opset: c.opset))
                let weights = Self.encodings(model, c.kind)
                let options = ONNXEncodeOptions(allowMatMulNBits: c.nbits, keepFloat16Compute: c.fp16Compute, targetOpset: c.targetOpset)
                let exact = weights.mapValues { e -> ONNXWeightEncoding in
                    switch e {
                    case .quantized(let q): return .float32Replaced(S.dequantize(q))
                    case .float16(let h): return .float32Replaced(h.map { Float(Float16(bitPattern: $0)) })
                    case .bfloat16(let b): return .float32Replaced(b.map { Float(bitPattern: UInt32($0) << 16) })
                    case .float32Replaced, .palettized: return e
                    }
                }
                let a = dir + "/\(k)-dequantized.onnx", b = dir + "/\(k)-encoded.onnx"
                try S.save(try ONNXEncoder.encode(model, weights: exact, options: ONNXEncodeOptions()).model, to: a)
                try S.save(try ONNXEncoder.encode(model, weights: weights, options: options).model, to: b)
                triples.append((a, b, try S.inputsPath(c.fixture, opset: c.opset)))
            }
            let results = try S.compareUnoptimized(triples)
            for (c, same) in zip(chosen, results) {
                print("ONNXENC-EXACT \(c.testDescription): cosine \(same.cosine) max_abs \(same.maxAbs)")
                // float16 compute also rounds activations; everything else must match to float rounding.
                #expect(same.maxAbs <= (c.fp16Compute ? 0.2 : 1e-4), "\(c.testDescription): \(same)")
                #expect(same.cosine >= (c.fp16Compute ? 0.9999 : 0.9999999), "\(c.testDescription): \(same)")
            }
        }
    }

    /// The same input gives byte-identical models, whatever the dictionary's insertion order.
    @Test(arguments: [1, 2] as [UInt64])
    func deterministic(seed: UInt64) throws {
        let model = try S.load(try S.fixturePath("transformer", opset: 17))
        var mixed = Self.encodings(model, .int4Group32)
        for (k, v) in Self.encodings(model, .float16) where mixed[k] == nil { mixed[k] = v }
        mixed["layers.0.attn.q_proj.weight"] = Self.encodings(model, .int8PerChannel)["layers.0.attn.q_proj.weight"]
        var rng = SplitMix64(seed: seed)
        var shuffled: [String: ONNXWeightEncoding] = [:]
        for k in mixed.keys.shuffled(using: &rng) { shuffled[k] = mixed[k] }
        let options = ONNXEncodeOptions(allowMatMulNBits: true)
        let a = try S.bytes(ONNXEncoder.encode(model, weights: mixed, options: options).model)
        let b = try S.bytes(ONNXEncoder.encode(model, weights: shuffled, options: options).model)
        #expect(a == b)
        let c = try S.bytes(ONNXEncoder.encode(model, weights: mixed, options: ONNXEncodeOptions()).model)
        #expect(a != c)
    }

    /// Constant-node weights are replaced in place by Constant nodes; initializer weights get nodes at the start
    /// of the graph in name order, and the DequantizeLinear outputs keep the weights' names.
    @Test func placement() throws {
        let constants = try S.load(try S.fixturePath("constants", opset: 17))
        var r = try ONNXEncoder.encode(constants, weights: Self.encodings(constants, .int8PerChannel), options: ONNXEncodeOptions())
        #expect(r.model.graph.initializer.isEmpty)
        let ops = r.model.graph.node.map(\.opType)
        let firstMatMul = try #require(ops.firstIndex(of: "MatMul"))
        #expect(ops[..<firstMatMul].filter { $0 == "DequantizeLinear" }.count == 1, "\(ops)")
        let dq = r.model.graph.node.filter { $0.opType == "DequantizeLinear" }
        #expect(dq.map { $0.output[0] } == ["linear_0.w_0", "linear_1.w_0", "linear_2.w_0"])

        let cnn = try S.load(try S.fixturePath("cnn", opset: 17))
        r = try ONNXEncoder.encode(cnn, weights: Self.encodings(cnn, .int4Group32), options: ONNXEncodeOptions())
        let names = r.model.graph.initializer.map(\.name)
        #expect(!names.contains("conv2.weight") && names.contains("conv2.weight_quantized") && names.contains("conv2.weight_scale"))
        let head = r.model.graph.node.prefix { $0.opType != "Conv" }
        #expect(head.last?.output == ["fc.weight"])
        #expect(head.map(\.opType) == ["DequantizeLinear", "DequantizeLinear", "Reshape", "DequantizeLinear"], "\(head.map(\.opType))")
        #expect(r.report.first { $0.hasPrefix("conv2.weight") }?.contains("matrix view") == true, "\(r.report)")
    }

    /// float32Replaced keeps the name, type and shape and writes the new values, for initializers and Constants.
    @Test(arguments: ["cnn", "constants"])
    func replacedValues(fixture: String) throws {
        let model = try S.load(try S.fixturePath(fixture, opset: 17))
        let name = fixture == "cnn" ? "conv2.weight" : "linear_1.w_0"
        let w = S.floatWeights(model)[name]!
        var rng = SplitMix64(seed: 3)
        let pruned = w.values.map { Bool.random(using: &rng) ? 0 : $0 }
        let r = try ONNXEncoder.encode(model, weights: [name: .float32Replaced(pruned)], options: ONNXEncodeOptions())
        let after = S.floatWeights(r.model)[name]
        #expect(after?.shape == w.shape && after?.values == pruned)
        #expect(r.model.graph.node.count == model.graph.node.count && r.model.graph.initializer.count == model.graph.initializer.count)
        #expect(r.report == ["\(name) \(w.shape): values replaced (FLOAT)"])
    }

    struct BadInput: CustomTestStringConvertible, Sendable {
        var label: String
        var fragment: String
        var tensor: String?
        var testDescription: String { label }
    }

    @Test(arguments: [
        BadInput(label: "unknown name", fragment: "did you mean 'fc.weight'", tensor: "fc.weigth"),
        BadInput(label: "integer tensor", fragment: "INT64", tensor: "shape.split_heads"),
        BadInput(label: "shape mismatch", fragment: "shape [64, 10]", tensor: "fc.weight"),
        BadInput(label: "count mismatch", fragment: "has 3 values", tensor: "fc.weight"),
        BadInput(label: "lower target", fragment: "lower than the model's opset 17", tensor: nil),
        BadInput(label: "bfloat16 pinned below 13", fragment: "bfloat16 needs opset 13", tensor: "fc.weight"),
    ])
    func badInput(_ b: BadInput) throws {
        let opset = b.label.hasPrefix("bfloat16") ? 11 : 17
        let cnn = try S.load(try S.fixturePath("cnn", opset: opset))
        let transformer = try S.load(try S.fixturePath("transformer", opset: 17))
        let fc = S.floatWeights(cnn)["fc.weight"]!
        var model = cnn
        var weights: [String: ONNXWeightEncoding] = [:]
        var options = ONNXEncodeOptions(modelName: "m.onnx")
        switch b.label {
        case "unknown name": weights["fc.weigth"] = .float16([])
        case "integer tensor": model = transformer; weights["shape.split_heads"] = .float32Replaced([1, 2, 3, 4])
        case "shape mismatch":
            weights["fc.weight"] = .quantized(S.quantize(fc.values, shape: [64, 10], axis: 0, .init(dtype: "int8", granularity: "per-tensor", symmetric: true)))
        case "count mismatch": weights["fc.weight"] = .float32Replaced([1, 2, 3])
        case "lower target": options.targetOpset = 13
        default: weights["fc.weight"] = .bfloat16(fc.values.map { _ in 0 }); options.targetOpset = 11
        }
        do {
            _ = try ONNXEncoder.encode(model, weights: weights, options: options)
            Issue.record("no error")
        } catch let e as FormatError {
            #expect(e.file == "m.onnx" && e.tensor == b.tensor && e.message.contains(b.fragment), "\(e)")
        }
    }
}
