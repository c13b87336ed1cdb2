import Foundation
import PareBasics
import PareFormats
import PareRuntime

/// Runs models over the selected samples of an evaluation set and compares their outputs with the float source
/// model's (computed once, `reference`). Metric definitions are on ``EvaluationMetrics``.
final class Evaluator: @unchecked Sendable {
    let data: DataSet
    let indices: [Int]
    let feeds: [[String: Tensor]]
    /// The float model's outputs per selected sample, in `indices` order, graph outputs in graph order.
    let reference: [[Tensor]]
    let outputNames: [String]
    let labels: [[Int64]]?
    let floatAccuracy: Double?
    let floatBytes: Int

    /// Loads the samples (rejecting NaN / ±∞ in them) and runs the float model.
    init(data: DataSet, selection: DataSetSelection, float interpreter: Interpreter, floatBytes: Int) throws {
        self.data = data
        indices = try selection.indices(count: data.sampleCount)
        var feeds: [[String: Tensor]] = []
        var labels: [[Int64]] = []
        for i in indices {
            feeds.append(try Calibrator.inputs(of: data, sample: i, for: interpreter))
            if let l = try data.label(i) {
                labels.append(l.withUnsafeBytes { ONNXIntegerPayload.decode($0, dtype: l.dtype, count: l.elementCount) })
            }
        }
        self.feeds = feeds
        self.labels = data.label == nil ? nil : labels
        outputNames = interpreter.outputNames
        reference = try feeds.map { f in let out = try interpreter.run(f); return interpreter.outputNames.map { out[$0]! } }
        self.floatBytes = floatBytes
        if let l = self.labels { floatAccuracy = try Evaluator.accuracy(reference.map { $0[0] }, labels: l, path: data.path) } else { floatAccuracy = nil }
    }

    /// Runs `interpreter` (the compressed model, whose file is `bytes` long) and measures it against the float model.
    func measure(_ interpreter: Interpreter, bytes: Int, samples limit: Int? = nil) throws -> EvaluationMetrics {
        var cosSum = 0.0, cosMin = Double.infinity, cosCount = 0
        var signal = 0.0, noise = 0.0, maxAbs = 0.0
        var agree = 0, rows = 0
        var firstOutputs: [Tensor] = []
        let n = min(limit ?? feeds.count, feeds.count)
        for s in 0..<n {
            let out = try interpreter.run(feeds[s])
            for (k, name) in outputNames.enumerated() {
                guard let x = reference[s][k].floats else { continue }
                guard let y = out[name]?.floats, y.count == x.count else {
                    throw RuntimeError("output '\(name)' of the compressed model has a different shape than the float model's")
                }
                var xy = 0.0, xx = 0.0, yy = 0.0, e2 = 0.0
                for j in 0..<x.count {
                    let a = Double(x[j]), b = Double(y[j])
                    xy += a * b; xx += a * a; yy += b * b
                    let d = a - b
                    e2 += d * d
                    if !(abs(d) <= maxAbs) { maxAbs = d.isNaN ? .infinity : abs(d) }
                }
                let cos = xx == 0 && yy == 0 ? 1 : (xx == 0 || yy == 0 ? 0 : xy / (xx.squareRoot() * yy.squareRoot()))
                cosSum += cos; cosMin = min(cosMin, cos); cosCount += 1
                signal += xx; noise += e2
            }
            if let first = out[outputNames[0]] {
                firstOutputs.append(first)
                if let (a, r) = Evaluator.agreement(reference[s][0], first) { agree += a; rows += r }
            }
        }
        let sqnr = noise == 0 ? 300 : min(300, 10 * log10(signal / noise))
        let accuracy = try labels.flatMap { try Evaluator.accuracy(firstOutputs, labels: Array($0.prefix(n)), path: data.path) }
        return EvaluationMetrics(
            samples: n, cosineMean: cosCount == 0 ? 1 : cosSum / Double(cosCount), cosineMin: cosCount == 0 ? 1 : cosMin,
            sqnrDB: sqnr.isNaN ? -300 : sqnr, maxAbsError: maxAbs, top1Agreement: rows == 0 ? nil : Double(agree) / Double(rows),
            accuracy: accuracy, floatAccuracy: floatAccuracy, sizeMB: Double(bytes) / 1e6, floatSizeMB: Double(floatBytes) / 1e6)
    }

    /// Argmax of each row over the last axis (first index of the maximum; NaN never wins).
    static func argmaxRows(_ t: Tensor) -> [Int]? {
        guard let v = t.floats, let last = t.shape.last, last > 1 else { return nil }
        return stride(from: 0, to: v.count, by: last).map { start in
            var best = start
            for j in start..<(start + last) where v[j] > v[best] || v[best].isNaN { best = j }
            return best - start
        }
    }

    /// (agreeing rows, rows) of two outputs' argmaxes.
    static func agreement(_ a: Tensor, _ b: Tensor) -> (Int, Int)? {
        guard let x = argmaxRows(a), let y = argmaxRows(b), x.count == y.count else { return nil }
        return (zip(x, y).filter { $0 == $1 }.count, x.count)
    }

    /// Fraction of rows whose argmax equals the label; a sample's label has one value per row.
    static func accuracy(_ outputs: [Tensor], labels: [[Int64]], path: String) throws -> Double? {
        var right = 0, total = 0
        for (s, t) in outputs.enumerated() {
            guard let rows = argmaxRows(t) else { return nil }
            guard labels[s].count == rows.count else {
                throw RuntimeError("\(path): sample \(s)'s label has \(labels[s].count) values but the model's first output has \(rows.count) rows (shape \(t.shape)); store one class index per row")
            }
            right += zip(rows, labels[s]).filter { Int64($0) == $1 }.count
            total += rows.count
        }
        return total == 0 ? nil : Double(right) / Double(total)
    }
}
