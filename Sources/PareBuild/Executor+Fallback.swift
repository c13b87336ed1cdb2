import Foundation
import PareBasics
import PareFormats
import PareONNXProto
import ParePasses
import PareRecipe
import PareRuntime
import SwiftProtobuf

/// A layer for sensitivity and fallback: a weight the quantize pass encoded and the quantized activations its
/// consumers read.
struct QuantizedLayer {
    var name: String
    var weight: String
    var activations: [String]
}

extension Executor {
    /// Samples the sensitivity analysis runs per layer (the fallback loop then measures on the whole set).
    static let sensitivitySamples = 16

    /// The layers of `model` that pass `passID` quantized, in graph order.
    func quantizedLayers(_ model: ModelArtifact, passID: String) throws -> [QuantizedLayer] {
        guard let g = model.graph else { return [] }
        let graph = try Onnx_ModelProto(serializedBytes: [UInt8](cache.store.data(g))).graph
        let quantizedWeights = Set(model.tensors.filter { $0.passes.contains(passID) && $0.quant != nil }.map(\.name))
        let quantizedActs = Set(model.activations?.quantized.map(\.name) ?? [])
        var out: [QuantizedLayer] = []
        var seen = Set<String>()
        for (i, n) in graph.node.enumerated() {
            for w in n.input where quantizedWeights.contains(w) && !seen.contains(w) {
                seen.insert(w)
                let acts = n.input.filter { $0 != w && quantizedActs.contains($0) }
                out.append(QuantizedLayer(name: n.name.isEmpty ? "\(n.opType)#\(i)" : n.name, weight: w, activations: acts))
            }
        }
        return out
    }

    /// What keeping `layer` in higher precision changes on `target`, applied to `model`; nil when the target runs
    /// nothing more precise. Weights: 4-bit → int8 per channel when the target runs int8, else float when it runs
    /// fp16/fp32. Activations: 8-bit → 16-bit when the target runs it (parameters from the same statistics), else float.
    func raisePrecision(_ layer: QuantizedLayer, in model: ModelArtifact, pre: ModelArtifact, statistics: CalibrationStatistics?,
                        spec: QuantizeConfig, target: TargetProfile, step: BuildStep) throws -> (ModelArtifact, String)? {
        var out = model
        var changes: [String] = []
        let wDTypes = Set(target.weights.dtypes)
        if let i = out.tensors.firstIndex(where: { $0.name == layer.weight }), let q = out.tensors[i].quant,
           let original = pre.tensors.first(where: { $0.name == layer.weight }) {
            if (q.dtype == .int4 || q.dtype == .uint4) && wDTypes.contains("int8") && target.weights.granularities.contains(.perChannel) {
                let pass = QuantizePass(id: out.tensors[i].passes.last ?? "quantize", config: spec)
                let axis = (try PassContext(store: cache.store, threads: 1).channelAxes(pre))[layer.weight] ?? 0
                var r = try pass.apply(original, parameters: .quantize(WeightQuantSpec(dtype: .int8, granularity: .perChannel), axis: axis),
                                       context: PassContext(store: cache.store, threads: 1))
                r.passes = out.tensors[i].passes
                out.tensors[i] = r
                changes.append("weight \(q.dtype.rawValue) → int8")
            } else if wDTypes.contains("fp32") || wDTypes.contains("fp16") {
                out.tensors[i] = original
                changes.append("weight \(q.dtype.rawValue) → float")
            }
        }
        if var a = out.activations, !a.dynamic, case .calibrated(let aspec)? = spec.activations {
            let runs = Set(target.activations.dtypes)
            for name in layer.activations {
                guard let k = a.quantized.firstIndex(where: { $0.name == name }) else { continue }
                let current = a.quantized[k]
                guard let d = ActivationDType(rawValue: current.dtype), !d.is16Bit else { continue }
                if let wide = d.wider(among: runs), let h = statistics?.histograms[name] {
                    a.quantized[k] = ActivationQuantizer.parameters(name: name, histogram: h, dtype: wide, symmetric: aspec.symmetric ?? false,
                                                                    method: ActivationQuantizer.rangeMethod(aspec))
                    changes.append("input \(name) \(d.rawValue) → \(wide.rawValue)")
                } else if runs.contains("fp32") || runs.contains("fp16") {
                    a.quantized.remove(at: k)
                    a.kept[name] = "fallback"
                    changes.append("input \(name) \(d.rawValue) → float")
                }
            }
            out.activations = a
        }
        return changes.isEmpty ? nil : (out, changes.joined(separator: "; "))
    }

    /// Sensitivity of each layer (only it compressed, everything else as before the quantize pass), most sensitive
    /// first; then layers fall back in that order until the gates pass or `max_layers` fell back.
    func runFallback(model: ModelArtifact, report: EvaluationReport, pass: (step: Int, spec: PassSpec, fallback: FallbackSpec),
                     target: TargetProfile, evaluator: Evaluator, runner: ModelRunner, step: BuildStep) throws -> (ModelArtifact, EvaluationReport) {
        guard case .quantize(let config) = pass.spec.config else { return (model, report) }
        let pre = try loadArtifact(artifact(of: plan.steps[pass.step].inputs[0]))
        let statistics = plan.steps[pass.step].inputs.count > 1 ? try loadStatistics(artifact(of: plan.steps[pass.step].inputs[1])) : nil
        let layers = try quantizedLayers(model, passID: pass.spec.id)

        // Sensitivity: one layer compressed at a time.
        var sensitivity: [(LayerSensitivity, QuantizedLayer)] = []
        for layer in layers {
            var single = pre
            if let i = single.tensors.firstIndex(where: { $0.name == layer.weight }), let q = model.tensors.first(where: { $0.name == layer.weight }) {
                single.tensors[i] = q
            }
            if let a = model.activations {
                single.activations = ActivationEncoding(quantized: a.quantized.filter { layer.activations.contains($0.name) }, dynamic: a.dynamic,
                                                        method: a.method, statistics: a.statistics)
            }
            let (interp, bytes) = try runner.open(single, label: step.id)
            let m = try evaluator.measure(interp, bytes: bytes, samples: Self.sensitivitySamples)
            sensitivity.append((LayerSensitivity(layer: layer.name, sqnrDB: m.sqnrDB ?? 0, cosineMean: m.cosineMean ?? 0), layer))
        }
        sensitivity.sort { ($0.0.sqnrDB, $0.0.layer) < ($1.0.sqnrDB, $1.0.layer) }

        var current = model
        var result = report
        var entries: [FallbackEntry] = []
        for (rank, (s, layer)) in sensitivity.enumerated() {
            if result.passed || entries.count >= pass.fallback.maxLayers { break }
            guard let (raised, change) = try raisePrecision(layer, in: current, pre: pre, statistics: statistics, spec: config, target: target, step: step) else { continue }
            let failing = result.gates.filter { !$0.passed }.map(\.metric).joined(separator: ", ")
            current = raised
            let (interp, bytes) = try runner.open(current, label: step.id)
            let m = try evaluator.measure(interp, bytes: bytes)
            let gates = plan.recipe.gates.map { GateResult.judge($0, m) }
            result = EvaluationReport(metrics: m, gates: gates, passed: gates.allSatisfy(\.passed))
            entries.append(FallbackEntry(layer: s.layer, change: change,
                                         reason: "sensitivity rank \(rank + 1) of \(sensitivity.count) (SQNR \(String(format: "%.1f", s.sqnrDB)) dB alone); failing gates: \(failing)",
                                         cosineMeanAfter: m.cosineMean ?? 0, sqnrDBAfter: m.sqnrDB ?? 0))
        }
        result.sensitivity = sensitivity.map(\.0)
        result.fallback = entries
        return (current, result)
    }
}
