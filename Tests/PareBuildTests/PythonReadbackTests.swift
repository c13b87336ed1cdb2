import Foundation
import Testing
import PareBasics
import PareBuild
import PareFixtures
import PareFormats
import PareKernels

/// Bundles are read by the Python `safetensors` library and dequantized by an independent script; the values
/// must equal pare's reference dequantization and lie within each scheme's error bound of the source.
@Suite(.serialized) struct PythonReadbackTests {
    static let recipe = """
    recipe: py
    model: { path: models/model.safetensors }
    targets: [x86-64-avx2]
    passes:
      - cast: { dtype: bf16, include: ["embed.weight"] }
      - quantize:
          exclude: ["embed.weight"]
          weights: { dtype: int8, granularity: per-channel, symmetric: true }
          overrides:
            - match: "*attn.q*"
              weights: { dtype: uint8, granularity: per-tensor, symmetric: false }
            - match: "*attn.k*"
              weights: { dtype: int4, granularity: per-group, group: 32, symmetric: true }
            - match: "*mlp.down*"
              weights: { dtype: uint4, granularity: per-group, group: 128, symmetric: false }
            - match: "*attn.v*"
              weights: { dtype: int4, granularity: per-channel, symmetric: false }
            - match: "*mlp.up*"
              weights: { dtype: uint4, granularity: per-group, group: 32, symmetric: false, fit: mse }
            - match: "*attn.o*"
              weights: { dtype: int4, granularity: per-group, group: 32, symmetric: true, fit: mse }

    """

    @Test func pythonDequantizationMatchesReference() throws {
        let ws = try Workspace(recipe: Self.recipe)
        let r = try ws.build()
        let bundle = r.bundles[0].path + "/model.safetensors"
        let out = ws.dir + "/dequantized.safetensors"
        let (status, _, err) = try Workspace.python([Workspace.repoRoot + "/scripts/dequantize_bundle.py", bundle, out])
        #expect(status == 0, "\(err)")
        let deq = try SafetensorsFile(path: out)
        let source = try SafetensorsFile(path: ws.modelPath)
        let manifest = try JSONSerialization.jsonObject(with: ws.read(r.bundles[0].path + "/manifest.json")) as! [String: Any]
        var checked = Set<String>()
        for entry in manifest["tensors"] as! [[String: Any]] {
            let name = entry["name"] as! String
            guard let d = deq[name], let s = source[name] else { Issue.record("tensor \(name) missing"); continue }
            let x = Array(source.bytes(of: s).bindMemory(to: Float.self))
            let y = Array(deq.bytes(of: d).bindMemory(to: Float.self))
            #expect(x.count == y.count)
            guard let enc = entry["encoding"] as? [String: Any] else {
                if name == "embed.weight" {
                    // bf16 keeps 8 significant bits: relative error at most 2^-8 (round to nearest).
                    for (a, b) in zip(x, y) { #expect(abs(a - b) <= abs(a) * 0.00390625) }
                } else {
                    #expect(x == y)
                }
                continue
            }
            let dims = entry["shape"] as! [Int]
            let rows = dims[0], cols = x.count / rows
            let scheme = try Self.scheme(enc)
            let ref = x.withUnsafeBufferPointer { Quantizer.reference($0, rows: rows, cols: cols, scheme: scheme) }
            let expected = Quantizer.dequantize(ref, scheme: scheme)
            #expect(y == expected, "\(name): Python's dequantization differs from pare's reference")
            // Error bound: half a step for symmetric schemes, one step for asymmetric ones (zero-point rounding).
            // fit: mse may clip outliers, so only its SQNR gain over minmax is checked.
            let blocks = ref.scales.count
            let perBlock = x.count / blocks
            if scheme.fit == .mse {
                var plain = scheme
                plain.fit = .minmax
                let base = x.withUnsafeBufferPointer { Quantizer.reference($0, rows: rows, cols: cols, scheme: plain) }
                let gain = Self.sqnr(x, y) - Self.sqnr(x, Quantizer.dequantize(base, scheme: plain))
                #expect(gain > 0.2, "\(name): fit mse gains only \(gain) dB over minmax")
                checked.insert(enc["dtype"] as! String + "/" + (enc["granularity"] as! String) + "/mse")
                continue
            }
            for i in 0..<x.count {
                let scale = ref.scales[i / perBlock]
                let bound = (scheme.symmetric ? 0.5 : 1.0) * scale * 1.0001 + 1e-7
                if abs(x[i] - y[i]) > bound {
                    Issue.record("\(name)[\(i)]: |\(x[i]) − \(y[i])| > \(bound)")
                    break
                }
            }
            checked.insert(enc["dtype"] as! String + "/" + (enc["granularity"] as! String))
        }
        #expect(checked == ["int8/per-channel", "uint8/per-tensor", "int4/per-group", "uint4/per-group", "int4/per-channel",
                            "uint4/per-group/mse", "int4/per-group/mse"])
    }

    static func scheme(_ enc: [String: Any]) throws -> QuantScheme {
        let type = WeightType(rawValue: enc["dtype"] as! String)!
        let g: QuantGranularity
        switch enc["granularity"] as! String {
        case "per-tensor": g = .perTensor
        case "per-channel": g = .perChannel
        default: g = .perGroup(enc["group"] as! Int)
        }
        return QuantScheme(type: type, granularity: g, symmetric: enc["symmetric"] as! Bool,
                           fit: (enc["fit"] as? String) == "mse" ? .mse : .minmax)
    }

    /// 10 log10(Σ x² / Σ (x − y)²) in Double.
    static func sqnr(_ x: [Float], _ y: [Float]) -> Double {
        var s = 0.0, n = 0.0
        for (a, b) in zip(x, y) {
            s += Double(a) * Double(a)
            n += (Double(a) - Double(b)) * (Double(a) - Double(b))
        }
        return 10 * log10(s / n)
    }

    @Test func pythonReadsEveryBundleTensor() throws {
        let ws = try Workspace(recipe: Self.recipe)
        let r = try ws.build()
        let bundle = r.bundles[0].path + "/model.safetensors"
        let (status, out, err) = try Workspace.python([Workspace.repoRoot + "/scripts/check_safetensors.py", bundle])
        #expect(status == 0, "\(err)")
        let file = try SafetensorsFile(path: bundle)
        let lines = out.split(separator: "\n")
        #expect(lines.count == file.tensors.count)
        for line in lines {
            let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let t = file[obj["name"] as! String]!
            #expect(obj["sha256"] as? String == Digest.of(file.bytes(of: t)).hex)
        }
    }
}
