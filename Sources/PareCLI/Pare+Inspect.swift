import ArgumentParser
import Foundation
import PareBasics
import PareBuild
import PareFormats
import PareKernels
import PareTensor

extension Pare {
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a model's tensors: dtype, shape, size and sparsity; quantization schemes of pare bundles.")

        @Argument(help: "A safetensors or ONNX model, or a bundle's model file.") var model: String
        @Flag(help: "Print JSON.") var json = false

        struct Row: Codable {
            var name: String; var dtype: String; var shape: [Int]; var bytes: Int; var sparsity: Double?
            var scheme: String?
        }
        struct Report: Codable { var file: String; var format: String; var tensors: Int; var bytes: Int; var metadata: [String: String]; var rows: [Row] }

        func run() throws {
            let format: ModelFileFormat? = try withErrorHandling {
                guard FileStat.exists(model) else { throw DiagnosticError(.error("no such file; check the path", at: SourceLocation(file: model))) }
                do { return try ModelFileFormat.detect(path: model) } catch { throw DiagnosticError(.error("\(error)", at: SourceLocation(file: model))) }
            }
            switch format {
            case .onnx: try inspectONNX()
            case .safetensors: try inspectSafetensors()
            default:
                printError("error: \(model): not a safetensors or ONNX model")
                throw Exit.invalidInput
            }
        }

        func inspectSafetensors() throws {
            let file: SafetensorsFile = try withErrorHandling {
                do { return try SafetensorsFile(path: model) } catch { throw DiagnosticError(.error("\(error)", at: SourceLocation(file: model))) }
            }
            var schemes: [String: String] = [:]
            if let q = file.header.metadata["pare.quantization"], let obj = try? JSONSerialization.jsonObject(with: Data(q.utf8)) as? [String: [String: Any]] {
                for (name, s) in obj {
                    let g = s["granularity"] as? String ?? "?"
                    let group = (s["group"] as? Int).map { $0 > 0 ? " g\($0)" : "" } ?? ""
                    let sym = (s["symmetric"] as? Bool) == true ? "sym" : "asym"
                    schemes[name] = "\(s["dtype"] as? String ?? "?") \(g)\(group) \(sym)"
                }
            }
            let rows = file.tensors.map { t -> Row in
                var sparsity: Double?
                let n = t.shape.elementCount ?? 0
                if n > 0 {
                    let raw = file.bytes(of: t)
                    switch t.dtype {
                    case .float32: sparsity = Double(Pruning.zeroCount(raw.bindMemory(to: Float.self))) / Double(n)
                    case .float16, .bfloat16:
                        let z = raw.bindMemory(to: UInt16.self).reduce(0) { $0 + ($1 & 0x7FFF == 0 ? 1 : 0) }
                        sparsity = Double(z) / Double(n)
                    default: break
                    }
                }
                return Row(name: t.name, dtype: t.dtype.rawValue, shape: t.shape.dims, bytes: t.byteCount, sparsity: sparsity, scheme: schemes[t.name])
            }
            let total = rows.reduce(0) { $0 + $1.bytes }
            let report = Report(file: model, format: "safetensors", tensors: rows.count, bytes: total, metadata: file.header.metadata, rows: rows)
            if json {
                print(String(decoding: try CanonicalJSON.encode(report), as: UTF8.self))
                return
            }
            print("\(model): safetensors, \(rows.count) tensors, \(ByteCount.format(total))")
            var byType: [String: (Int, Int)] = [:]
            for r in rows { byType[r.dtype, default: (0, 0)].0 += 1; byType[r.dtype, default: (0, 0)].1 += r.bytes }
            print("dtypes: " + byType.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value.0) (\(ByteCount.format($0.value.1)))" }.joined(separator: ", "))
            let w = min(60, rows.map(\.name.count).max() ?? 4)
            func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
            print(pad("tensor", w) + "  " + pad("dtype", 9) + pad("shape", 18) + pad("size", 11) + pad("sparsity", 9) + "scheme")
            for r in rows.sorted(by: { ($0.bytes, $1.name) > ($1.bytes, $0.name) }) {
                let shape = "[" + r.shape.map(String.init).joined(separator: ",") + "]"
                let sp = r.sparsity.map { String(format: "%.1f%%", $0 * 100) } ?? "-"
                print(pad(r.name, w) + "  " + pad(r.dtype, 9) + pad(shape, 18) + pad(ByteCount.format(r.bytes), 11) + pad(sp, 9) + (r.scheme ?? ""))
            }
        }
    }
}
