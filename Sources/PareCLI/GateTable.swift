import PareBuild

/// Text for evaluation results: a one-line metric summary per bundle, and the table of failed gates.
enum GateTable {
    static func format(_ v: Double?) -> String {
        guard let v else { return "n/a" }
        return String(format: "%.6g", v)
    }

    /// `cosine mean 0.9991 (min 0.9902), SQNR 28.1 dB, top-1 1.0000, size 0.21 MB (float 0.80 MB)`.
    static func metricsLine(_ e: EvaluationReport) -> [String] {
        let m = e.metrics
        var parts: [String] = []
        if let c = m.cosineMean { parts.append("cosine mean \(format(c)) (min \(format(m.cosineMin)))") }
        if let s = m.sqnrDB { parts.append(String(format: "SQNR %.1f dB", s)) }
        if let t = m.top1Agreement { parts.append("top-1 agreement \(format(t))") }
        if let a = m.accuracy { parts.append("accuracy \(format(a)) (float \(format(m.floatAccuracy)))") }
        parts.append(String(format: "size %.3f MB (float %.3f MB)", m.sizeMB, m.floatSizeMB))
        var lines = [parts.joined(separator: ", ")]
        if let sens = e.sensitivity, !sens.isEmpty {
            lines.append("sensitivity (one layer compressed at a time, most sensitive first):")
            let w = sens.map(\.layer.count).max()!
            for s in sens {
                lines.append("  " + s.layer.padding(toLength: w, withPad: " ", startingAt: 0) + String(format: "  SQNR %6.1f dB  cosine %.5f", s.sqnrDB, s.cosineMean))
            }
        }
        if let fb = e.fallback, !fb.isEmpty {
            lines.append("fallback: " + fb.map { "\($0.layer) (\($0.change))" }.joined(separator: "; "))
        }
        lines.append(e.passed ? "gates: \(e.gates.count) passed" : "gates: FAILED")
        return lines
    }

    /// The failed gates of every failing bundle: metric, value, bound, by how much, and where the bundle was kept.
    static func render(recipe: String, failures: [BundleResult]) -> String {
        var rows: [[String]] = [["target", "gate", "value", "bound", "missed by"]]
        for b in failures {
            for g in b.evaluation!.gates where !g.passed {
                let bound = [g.min.map { "≥ \(format($0))" }, g.max.map { "≤ \(format($0))" }].compactMap { $0 }.joined(separator: ", ")
                    + (g.relative ? " (× float)" : "")
                rows.append([b.target, g.metric, format(g.value), bound, g.value == nil ? "not measurable" : format(g.shortfall)])
            }
        }
        let widths = (0..<5).map { c in rows.map { $0[c].count }.max()! }
        var out = "error: gates failed for recipe '\(recipe)':\n"
        for (i, r) in rows.enumerated() {
            out += "  " + r.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }.joined(separator: "  ") + "\n"
            if i == 0 { out += "  " + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
        }
        for b in failures { out += "  the failing bundle of \(b.target) is kept for inspection in \(b.path) (not in place of a passing one)\n" }
        return out
    }
}
