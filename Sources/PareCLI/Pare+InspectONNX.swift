import Foundation
import PareBasics
import PareFormats
import PareKernels
import PareONNXProto
import PareTensor

extension Pare.Inspect {
    struct ONNXReport: Codable {
        struct Value: Codable { var name: String; var type: String; var shape: [String] }
        struct Weight: Codable {
            var name: String; var dtype: String; var shape: [Int]; var bytes: Int; var location: String; var sparsity: Double?
        }
        struct Estimate: Codable { var scheme: String; var bytes: Int }
        var file: String; var format = "onnx"; var irVersion: Int; var producer: String
        var opsets: [String: Int]; var inputs: [Value]; var outputs: [Value]; var ops: [String: Int]
        var weights: [Weight]; var weightBytes: Int; var fileBytes: Int; var estimates: [Estimate]
    }

    /// `pare inspect model.onnx`: opsets, inputs/outputs, op histogram, weights by size and where they live,
    /// and the estimated size of the float weights under common schemes.
    func inspectONNX() throws {
        let file: ONNXFile = try withErrorHandling {
            do { return try ONNXFile(path: model) } catch { throw DiagnosticError(.error("\(error)", at: SourceLocation(file: model))) }
        }
        let g = file.model.graph
        func value(_ v: Onnx_ValueInfoProto) -> ONNXReport.Value {
            let t = v.type.tensorType
            let dims = t.shape.dim.map { d -> String in
                switch d.value {
                case .dimValue(let n)?: return String(n)
                case .dimParam(let p)?: return p
                case nil: return "?"
                }
            }
            return .init(name: v.name, type: ONNXDataType.name(code: Int(t.elemType)), shape: dims)
        }
        var ops: [String: Int] = [:]
        for n in g.node { ops[(n.domain.isEmpty || n.domain == "ai.onnx" ? "" : n.domain + ".") + n.opType, default: 0] += 1 }
        let weights = try file.tensors.map { t -> ONNXReport.Weight in
            var sparsity: Double?
            let n = t.shape.elementCount ?? 0
            if n > 0, t.dtype == .float32 {
                sparsity = try file.withPayload(t) { Double(Pruning.zeroCount($0.bindMemory(to: Float.self))) / Double(n) }
            }
            let location: String
            switch t.location {
            case .initializer: location = "initializer"
            case .constantNode(_, let node, let attr): location = "Constant \(node).\(attr)"
            }
            return .init(name: t.name, dtype: t.dtype.rawValue, shape: t.shape.dims, bytes: t.byteCount, location: location, sparsity: sparsity)
        }
        // Estimates for the float weights of rank ≥ 2 (what `quantize` selects by default); others kept as they are.
        var float2D = 0, floatElements = 0, channels = 0, other = 0
        for t in file.tensors {
            if t.dtype.isFloatingPoint, t.shape.rank >= 2, let n = t.shape.elementCount {
                float2D += t.byteCount; floatElements += n; channels += t.shape.dims[0]
            } else {
                other += t.byteCount
            }
        }
        let estimates: [ONNXReport.Estimate] = [
            .init(scheme: "as is", bytes: float2D + other),
            .init(scheme: "fp16", bytes: floatElements * 2 + other),
            .init(scheme: "int8 per-channel", bytes: floatElements + channels * 4 + other),
            .init(scheme: "int4 per-group 32", bytes: (floatElements + 1) / 2 + floatElements / 32 * 4 + other),
        ]
        var opsets: [String: Int] = [:]
        for (k, v) in file.opsetImports { opsets[k.isEmpty ? "ai.onnx" : k] = v }
        let report = ONNXReport(
            file: model, irVersion: Int(file.model.irVersion), producer: [file.model.producerName, file.model.producerVersion].filter { !$0.isEmpty }.joined(separator: " "),
            opsets: opsets, inputs: g.input.map(value), outputs: g.output.map(value), ops: ops,
            weights: weights, weightBytes: weights.reduce(0) { $0 + $1.bytes }, fileBytes: FileStat.of(model)?.size ?? 0, estimates: estimates)
        if json {
            print(String(decoding: try CanonicalJSON.encode(report), as: UTF8.self))
            return
        }
        print("\(model): ONNX (IR \(report.irVersion)\(report.producer.isEmpty ? "" : ", from \(report.producer)")), opsets \(opsets.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        print("size: \(ByteCount.format(report.fileBytes)) file, \(ByteCount.format(report.weightBytes)) in \(weights.count) weights (\(weights.filter { $0.location == "initializer" }.count) initializers, \(weights.filter { $0.location != "initializer" }.count) in Constant nodes)")
        for v in report.inputs { print("input  \(v.name): \(v.type) [\(v.shape.joined(separator: ","))]") }
        for v in report.outputs { print("output \(v.name): \(v.type) [\(v.shape.joined(separator: ","))]") }
        print("ops: " + ops.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))
        print("estimated weight size: " + estimates.map { "\($0.scheme) \(ByteCount.format($0.bytes))" }.joined(separator: " · "))
        let w = min(50, weights.map(\.name.count).max() ?? 6)
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        print(pad("weight", w) + "  " + pad("dtype", 9) + pad("shape", 18) + pad("size", 11) + pad("sparsity", 9) + "where")
        for r in weights.sorted(by: { ($0.bytes, $1.name) > ($1.bytes, $0.name) }).prefix(40) {
            let shape = "[" + r.shape.map(String.init).joined(separator: ",") + "]"
            let sp = r.sparsity.map { String(format: "%.1f%%", $0 * 100) } ?? "-"
            print(pad(r.name, w) + "  " + pad(r.dtype, 9) + pad(shape, 18) + pad(ByteCount.format(r.bytes), 11) + pad(sp, 9) + r.location)
        }
        if weights.count > 40 { print("… \(weights.count - 40) more (use --json for all)") }
    }
}
