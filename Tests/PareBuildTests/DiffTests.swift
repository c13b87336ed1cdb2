import Foundation
import Testing
import PareBasics
import PareBuild
import PareFixtures
import PareFormats
import PareKernels
import PareONNXProto

/// `pare diff`: effective weights of bundles equal pare's own reference dequantization of the source values.
@Suite(.serialized) struct DiffTests {
    struct Case: Sendable, CustomStringConvertible {
        var label: String
        /// nil: the synthetic safetensors model; else an ONNX fixture of scripts/onnx_fixtures.py.
        var fixture: String?
        var opset: Int
        var passes: String
        var target: String
        var minSQNR: Double
        /// Every quantized / cast weight's encoding contains one of these.
        var encodings: [String]
        var description: String { label }
    }

    static let cases: [Case] = [
        Case(label: "safetensors int8 per-channel", fixture: nil, opset: 0,
             passes: "  - quantize: { weights: { dtype: int8, granularity: per-channel } }", target: "x86-64-avx2",
             minSQNR: 35, encodings: ["pare int8 per-channel sym"]),
        Case(label: "safetensors uint4 g32 asym", fixture: nil, opset: 0,
             passes: "  - quantize: { weights: { dtype: uint4, granularity: per-group, group: 32, symmetric: false } }",
             target: "arm64-cortex-a78", minSQNR: 15, encodings: ["pare uint4 per-group 32 asym"]),
        Case(label: "safetensors fp16", fixture: nil, opset: 0, passes: "  - cast: { dtype: fp16 }", target: "x86-64-avx2",
             minSQNR: 60, encodings: ["plain"]),
        Case(label: "cnn int8 per-channel", fixture: "cnn", opset: 17,
             passes: "  - quantize: { weights: { dtype: int8, granularity: per-channel } }", target: "qualcomm-hexagon-v73",
             minSQNR: 35, encodings: ["DequantizeLinear int8 per-axis axis 0", "DequantizeLinear int8 per-axis axis 1"]),
        Case(label: "transformer int4 g32 MatMulNBits", fixture: "transformer", opset: 17, passes: """
              - quantize:
                  weights: { dtype: int4, granularity: per-group, group: 32, symmetric: false }
                  overrides:
                    - match: "*embed*"
                      weights: { dtype: int8, granularity: per-channel }
            """, target: "x86-64-avx2", minSQNR: 15,
             encodings: ["MatMulNBits 4-bit block 32", "DequantizeLinear int8 per-axis axis 0"]),
        Case(label: "transformer int4 g32 blocked", fixture: "transformer", opset: 17,
             passes: "  - quantize: { weights: { dtype: int4, granularity: per-group, group: 32 } }", target: "x86-64-avx2",
             minSQNR: 15, encodings: ["DequantizeLinear int4 blocked 32 axis 1", "MatMulNBits 4-bit block 32"]),
        Case(label: "transformer fp16", fixture: "transformer", opset: 13, passes: "  - cast: { dtype: fp16 }", target: "apple-ane-a17",
             minSQNR: 60, encodings: ["Cast float16"]),
    ]

    /// A workspace whose recipe builds `c`; returns it with the source and the bundle's model path.
    static func build(_ c: Case) throws -> (Workspace, String, String) {
        let ws = try Workspace(recipe: "recipe: placeholder\n")
        var source = ws.modelPath
        var modelRef = "models/model.safetensors"
        if let f = c.fixture {
            let dir = try ONNXBuildTests.fixtures(opset: c.opset)
            source = ws.dir + "/models/\(f).onnx"
            modelRef = "models/\(f).onnx"
            try FileManager.default.copyItem(atPath: dir + "/\(f).onnx", toPath: source)
        }
        try ws.writeRecipe(ONNXBuildTests.recipe(model: modelRef, targets: c.target, passes: c.passes))
        let r = try ws.build()
        let bundle = r.bundles[0].path + (c.fixture == nil ? "/model.safetensors" : "/model.onnx")
        return (ws, source, bundle)
    }

    /// pare's reference: quantize `x` (original layout) along `axis` with `Quantizer.reference`, dequantize with
    /// `Quantizer.dequantize`, and move the axis back.
    static func referenceDequantized(_ x: [Float], shape: [Int], axis: Int, _ e: (dtype: String, granularity: String, group: Int, symmetric: Bool)) -> [Float] {
        let (outer, rows, inner) = Layout.split(shape, axis: axis)
        let cols = outer * inner
        let moved = axis == 0 ? x : x.withUnsafeBufferPointer { Layout.moveAxisToFront($0, outer: outer, mid: rows, inner: inner) }
        let granularity: QuantGranularity = e.granularity == "per-group" ? .perGroup(e.group) : e.granularity == "per-channel" ? .perChannel : .perTensor
        let scheme = QuantScheme(type: WeightType(rawValue: e.dtype)!, granularity: granularity, symmetric: e.symmetric)
        let q = moved.withUnsafeBufferPointer { Quantizer.reference($0, rows: rows, cols: cols, scheme: scheme) }
        let d = Quantizer.dequantize(q, scheme: scheme)
        return axis == 0 ? d : d.withUnsafeBufferPointer { Layout.moveFrontAxisBack($0, outer: outer, mid: rows, inner: inner) }
    }

    static func expectClose(_ got: [Float], _ want: [Float], _ what: String) {
        #expect(got.count == want.count, "\(what): \(got.count) vs \(want.count) values")
        guard got.count == want.count else { return }
        var worst = 0.0, at = 0
        for i in 0..<got.count {
            let d = abs(Double(got[i]) - Double(want[i])) / max(abs(Double(want[i])), 1e-30)
            if d > worst { worst = d; at = i }
        }
        #expect(worst <= 1e-6, "\(what): element \(at) is \(got[at]), reference \(want[at])")
    }

    @Test(arguments: cases)
    func bundleWeightsEqualReferenceDequantization(_ c: Case) throws {
        let (ws, source, bundle) = try Self.build(c)
        let report = try ModelDiff.compare(source, bundle)
        let src = try ModelDiff.open(source)
        let dst = try ModelDiff.open(bundle)
        // Every source weight is compared; nothing is only in one model.
        #expect(Set(report.tensors.map(\.name)) == Set(src.weights.map(\.name)))
        #expect(report.onlyA.isEmpty && report.onlyB.isEmpty, "only A \(report.onlyA), only B \(report.onlyB)")
        // Worst first.
        let finite = report.tensors.compactMap(\.sqnrDB)
        #expect(finite == finite.sorted())

        let manifest = try JSONDecoder().decode(BundleManifest.self, from: ws.read(ws.dir + "/dist/onnx/\(c.target)/manifest.json"))
        var axes: [String: Int] = [:]
        if c.fixture != nil { axes = ONNXUsage.analyze(try ONNXFile(path: source).model.graph).compactMapValues(\.channelAxis) }
        var checked = 0
        for entry in manifest.tensors where entry.encoding != nil || entry.dtype == "float16" {
            let row = try #require(report.tensors.first { $0.name == entry.name }, "\(entry.name) missing from the diff")
            let s = try #require(row.sqnrDB, "\(entry.name): SQNR is infinite")
            #expect(s >= c.minSQNR, "\(c.label) \(entry.name): SQNR \(s) dB < \(c.minSQNR)")
            #expect(c.encodings.contains { row.encoding.hasPrefix($0) }, "\(entry.name): encoding '\(row.encoding)'")
            let original = try src.load(entry.name)
            let effective = try dst.load(entry.name)
            #expect(effective.shape == original.shape)
            let want: [Float]
            if let e = entry.encoding {
                want = Self.referenceDequantized(original.values, shape: original.shape, axis: axes[entry.name] ?? 0, (e.dtype, e.granularity, e.group, e.symmetric))
                // MatMulNBits stores unsigned codes (int4 q as q + 8).
                #expect(row.bDType == (row.encoding.hasPrefix("MatMulNBits") ? "uint4" : e.dtype))
            } else {
                want = original.values.withUnsafeBufferPointer { HalfPrecision.toFloat16Reference($0) }.withUnsafeBufferPointer { HalfPrecision.fromFloat16($0) }
                #expect(row.bDType == "float16")
            }
            Self.expectClose(effective.values, want, "\(c.label) \(entry.name)")
            checked += 1
        }
        #expect(checked >= 3, "\(c.label): only \(checked) compressed tensors")
        // The metrics agree with a direct computation on the loaded values.
        if let first = report.tensors.first {
            let m = ModelDiff.metrics(reference: try src.load(first.name).values, candidate: try dst.load(first.name).values)
            #expect(m.maxAbs == first.maxAbs && m.rmse == first.rmse)
        }
    }

    /// An opset-11 model pinned to opset 11: per-channel int8 cannot be DequantizeLinear there, so the encoder writes
    /// Cast / Mul; its effective weights are the reference dequantization.
    @Test(arguments: ["cnn", "transformer"])
    func castMulFallbackAtOpset11(_ fixture: String) throws {
        let dir = try ONNXBuildTests.fixtures(opset: 11)
        let source = dir + "/\(fixture).onnx"
        let model = try Onnx_ModelProto(serializedBytes: try Data(contentsOf: URL(fileURLWithPath: source)))
        let file = try ONNXFile(path: source)
        let axes = ONNXUsage.analyze(model.graph).compactMapValues(\.channelAxis)
        let src = try ModelDiff.open(source)
        let e = (dtype: "int8", granularity: "per-channel", group: 0, symmetric: true)
        var weights: [String: ONNXWeightEncoding] = [:]
        var expected: [String: [Float]] = [:]
        for t in file.tensors where t.dtype == .float32 && t.shape.dims.count >= 2 {
            guard let axis = axes[t.name] else { continue }
            let x = try src.load(t.name)
            let (outer, rows, inner) = Layout.split(x.shape, axis: axis)
            let moved = axis == 0 ? x.values : x.values.withUnsafeBufferPointer { Layout.moveAxisToFront($0, outer: outer, mid: rows, inner: inner) }
            let scheme = QuantScheme(type: .int8, granularity: .perChannel, symmetric: true)
            let q = moved.withUnsafeBufferPointer { Quantizer.reference($0, rows: rows, cols: outer * inner, scheme: scheme) }
            weights[t.name] = .quantized(ONNXQuantizedWeight(dtype: "int8", granularity: "per-channel", symmetric: true, axis: axis, shape: x.shape,
                                                             data: q.data, scales: q.scales, zeroPoints: q.zeroPoints))
            expected[t.name] = Self.referenceDequantized(x.values, shape: x.shape, axis: axis, e)
        }
        #expect(weights.count >= 3)
        let r = try ONNXEncoder.encode(model, weights: weights, options: ONNXEncodeOptions(targetOpset: 11, modelName: fixture))
        let ws = try Workspace(recipe: "recipe: placeholder\n")
        let out = ws.dir + "/\(fixture)-opset11.onnx"
        try r.model.serializedData().write(to: URL(fileURLWithPath: out))
        let report = try ModelDiff.compare(source, out)
        #expect(report.onlyA.isEmpty && report.onlyB.isEmpty, "only A \(report.onlyA), only B \(report.onlyB)")
        let dst = try ModelDiff.open(out)
        for (name, want) in expected {
            let row = try #require(report.tensors.first { $0.name == name })
            #expect(row.encoding.hasPrefix("Cast/Mul int8"), "\(name): \(row.encoding)")
            #expect(row.bDType == "int8")
            #expect((row.sqnrDB ?? 0) >= 35)
            Self.expectClose(try dst.load(name).values, want, "\(fixture) \(name)")
        }
    }

    /// diff(A, A): every tensor identical, SQNR infinite (null in JSON).
    @Test(arguments: [nil, "cnn", "transformer", "constants"] as [String?])
    func modelAgainstItselfIsIdentical(_ fixture: String?) throws {
        var path: String
        var keep: Workspace?
        if let fixture {
            path = try ONNXBuildTests.fixtures(opset: 17) + "/\(fixture).onnx"
        } else {
            let ws = try Workspace(model: SyntheticModel(layers: 1, width: 32, vocab: 64, seed: 11), recipe: "recipe: placeholder\n")
            path = ws.modelPath
            keep = ws
        }
        let report = try ModelDiff.compare(path, path)
        #expect(!report.tensors.isEmpty)
        #expect(report.tensors.allSatisfy { $0.identical && $0.sqnrDB == nil && $0.rmse == 0 })
        #expect(report.onlyA.isEmpty && report.onlyB.isEmpty)
        withExtendedLifetime(keep) {}
    }

    /// SQNR, RMSE and max |Δ| against a direct Double computation on seeded data with a known noise level.
    @Test(arguments: [1, 2, 3, 42] as [UInt64])
    func metricsMatchDefinition(_ seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let n = 1000 + Int(seed % 7)
        let a = (0..<n).map { _ in Float.random(in: -1...1, using: &rng) }
        let noise = Float(0.001) * Float(seed)
        let b = a.enumerated().map { $0.offset % 5 == 0 ? 0 : $0.element + Float.random(in: -noise...noise, using: &rng) }
        let m = ModelDiff.metrics(reference: a, candidate: b)
        var s = 0.0, e = 0.0, mx = 0.0
        for i in 0..<n {
            let d = Double(a[i]) - Double(b[i])
            s += Double(a[i]) * Double(a[i]); e += d * d; mx = max(mx, abs(d))
        }
        #expect(m.maxAbs == mx)
        #expect(abs(m.rmse - (e / Double(n)).squareRoot()) <= 1e-12)
        #expect(abs(m.sqnrDB - 10 * log10(s / e)) <= 1e-9)
        #expect(m.candidateSparsity == Double((0..<n).filter { b[$0] == 0 }.count) / Double(n))
        #expect(m.referenceSparsity == 0)
        #expect(ModelDiff.metrics(reference: a, candidate: a).sqnrDB == .infinity)
    }

    func pare(_ args: [String]) throws -> (Int32, String, String) {
        try Workspace.run([Workspace.pareBinary] + args)
    }

    @Test func cliJSONShape() throws {
        let c = Self.cases[1]
        let (ws, source, bundle) = try Self.build(c)
        let (status, out, err) = try pare(["diff", source, bundle, "--json"])
        #expect(status == 0, "\(err)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        #expect(Set(obj.keys) == ["a", "b", "tensors", "only_a", "only_b"])
        #expect(obj["a"] as? String == source && obj["b"] as? String == bundle)
        let rows = try #require(obj["tensors"] as? [[String: Any]])
        #expect(rows.count == ws.model.tensors.count)
        for r in rows {
            #expect(Set(r.keys) == ["name", "a_dtype", "b_dtype", "shape", "max_abs", "rmse", "sqnr_db", "a_sparsity", "b_sparsity", "encoding"])
        }
        let quantized = rows.filter { ($0["encoding"] as? String ?? "").hasPrefix("pare uint4") }
        #expect(!quantized.isEmpty && quantized.allSatisfy { $0["sqnr_db"] is Double && $0["b_dtype"] as? String == "uint4" })
        let plain = rows.filter { $0["encoding"] as? String == "plain" }
        #expect(plain.allSatisfy { $0["sqnr_db"] is NSNull && $0["max_abs"] as? Double == 0 })
        // The table: a header, one line per tensor, and the totals.
        let (s2, table, _) = try pare(["diff", ws.dir + "/dist/onnx/\(c.target)", source])
        #expect(s2 == 0)
        #expect(table.contains("SQNR dB") && table.contains("\(rows.count) tensors compared"))
    }

    @Test(arguments: ["missing", "text", "truncated", "folder"])
    func badInputExitsTwoNamingTheFile(_ kind: String) throws {
        let ws = try Workspace(model: SyntheticModel(layers: 1, width: 32, vocab: 64, seed: 3), recipe: "recipe: placeholder\n")
        var bad = ws.dir + "/bad.safetensors"
        switch kind {
        case "missing": bad = ws.dir + "/nope.onnx"
        case "text": try "hello, not a model".write(toFile: bad, atomically: true, encoding: .utf8)
        case "truncated":
            let data = ws.read(ws.modelPath)
            try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: bad))
        default:
            bad = ws.dir + "/models-empty"
            try FileManager.default.createDirectory(atPath: bad, withIntermediateDirectories: true)
        }
        let (status, out, err) = try pare(["diff", ws.modelPath, bad])
        #expect(status == 2, "\(kind): status \(status), \(err)")
        #expect(err.contains(bad), "\(kind): \(err)")
        #expect(out.isEmpty)
        #expect(throws: DiagnosticError.self) { try ModelDiff.compare(bad, ws.modelPath) }
    }
}
