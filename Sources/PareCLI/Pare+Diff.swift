import ArgumentParser
import Foundation
import PareBasics
import PareBuild

extension Pare {
    /// `pare diff A B`: per-tensor comparison of the effective weights of two models (A is the reference).
    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare the effective weights of two models tensor by tensor (max |Δ|, RMSE, SQNR, sparsity).",
            discussion: """
            A and B are safetensors or ONNX files, or bundle folders. Quantized weights (pare bundles, ONNX \
            DequantizeLinear / Cast / MatMulNBits) are compared as the values the model computes. A is the reference: \
            SQNR = 10·log10(Σa² / Σ(a−b)²). Exit codes: 0 compared, 2 a file is missing or unreadable.
            """)

        @Argument(help: "The reference model (safetensors, ONNX, or a bundle folder).") var a: String
        @Argument(help: "The model to compare against it.") var b: String
        @Flag(help: "Print one JSON object instead of the table.") var json = false
        @Option(help: "Show at most this many rows in the table (worst first); 0 shows all.") var limit = 0

        func run() throws {
            let report = try withErrorHandling { try ModelDiff.compare(a, b) }
            if json {
                print(String(decoding: try CanonicalJSON.encode(report), as: UTF8.self))
                return
            }
            print(Self.table(report, limit: limit), terminator: "")
        }

        /// The human-readable table and totals.
        static func table(_ r: ModelDiff.Report, limit: Int) -> String {
            var out = "A: \(r.a)\nB: \(r.b)\n"
            let rows = limit > 0 ? Array(r.tensors.prefix(limit)) : r.tensors
            func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
            func num(_ v: Double?) -> String {
                guard let v else { return "-" }
                return v == 0 ? "0" : abs(v) >= 0.01 && abs(v) < 1e5 ? String(format: "%.4f", v) : String(format: "%.3e", v)
            }
            let w = min(48, max(6, rows.map(\.name.count).max() ?? 6))
            out += pad("tensor", w) + "  " + pad("A dtype", 9) + pad("B dtype", 9) + pad("shape", 16) + pad("SQNR dB", 10)
                + pad("max |Δ|", 11) + pad("RMSE", 11) + pad("zeros A/B", 13) + "encoding\n"
            for t in rows {
                let shape = "[" + t.shape.map(String.init).joined(separator: ",") + "]" + (t.bShape.map { "≠[" + $0.map(String.init).joined(separator: ",") + "]" } ?? "")
                let sqnr = !t.comparable ? "n/a" : t.sqnrDB.map { String(format: "%.2f", $0) } ?? (t.identical ? "inf" : "-inf")
                let zeros = String(format: "%.1f%%/%.1f%%", t.aSparsity * 100, t.bSparsity * 100)
                out += pad(t.name, w) + "  " + pad(t.aDType, 9) + pad(t.bDType, 9) + pad(shape, 16) + pad(sqnr, 10)
                    + pad(num(t.maxAbs), 11) + pad(num(t.rmse), 11) + pad(zeros, 13) + t.encoding + "\n"
            }
            if rows.count < r.tensors.count { out += "… \(r.tensors.count - rows.count) more (use --limit 0)\n" }
            let identical = r.tensors.filter(\.identical).count
            let finite = r.tensors.compactMap(\.sqnrDB)
            let mismatched = r.tensors.filter { !$0.comparable }.count
            out += "\n\(r.tensors.count) tensors compared: \(identical) identical"
            if let worst = finite.min() { out += ", worst SQNR \(String(format: "%.2f", worst)) dB" }
            if !finite.isEmpty { out += ", median SQNR \(String(format: "%.2f", finite.sorted()[finite.count / 2])) dB" }
            if mismatched > 0 { out += ", \(mismatched) with different element counts" }
            out += "\n"
            if !r.onlyA.isEmpty { out += "only in A (\(r.onlyA.count)): " + r.onlyA.joined(separator: ", ") + "\n" }
            if !r.onlyB.isEmpty { out += "only in B (\(r.onlyB.count)): " + r.onlyB.joined(separator: ", ") + "\n" }
            return out
        }
    }
}
