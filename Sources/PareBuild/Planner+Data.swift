import Foundation
import PareBasics
import PareFormats
import PareRecipe
import PareRuntime

extension Planner {
    /// Plan-time checks of `data:` and of everything that runs the model (calibration, activations, evaluation):
    /// the model must be ONNX with ops the interpreter has; each data set must open, be non-empty, hold the
    /// samples asked for and match the model's inputs; an accuracy gate needs labels.
    static func checkData(recipe: Recipe, targets: [String], header: ModelHeader?, bag: inout DiagnosticBag) {
        var runsModel: [(String, SourceLocation)] = []
        var calibrationUsed = false
        for t in targets {
            for spec in recipe.passes(for: t) {
                guard case .quantize(let q) = spec.config, let a = q.activations else { continue }
                runsModel.append(("'\(spec.id)' quantizes activations", spec.location(of: "activations")))
                if a.calibrated != nil { calibrationUsed = true }
            }
        }
        if let e = recipe.data.evaluation {
            runsModel.append(("data.evaluation runs the model", e.location))
        }
        guard !runsModel.isEmpty, let header else { return }
        guard header.format == .onnx else {
            for (what, at) in runsModel.prefix(1) {
                bag.error("\(what), which needs the model's graph; \(recipe.model.givenPath) is a \(header.format.rawValue) model (weights only). Use an ONNX model",
                          at: at)
            }
            return
        }
        let file: ONNXFile
        do { file = try ONNXFile(path: recipe.model.path) } catch {
            bag.error("\(error)", at: recipe.model.location)
            return
        }
        let missing = Interpreter.unsupportedOps(file.model)
        if !missing.isEmpty {
            bag.error("\(runsModel[0].0), so pare's interpreter must run \(recipe.model.givenPath), but it does not support "
                      + missing.map(\.description).joined(separator: "; ") + "; remove activations / evaluation for this model",
                      at: runsModel[0].1)
        }
        var sets: [(DataSetSpec, String)] = []
        if calibrationUsed, let c = recipe.data.calibration { sets.append((c, "data.calibration")) }
        if let e = recipe.data.evaluation { sets.append((e, "data.evaluation")) }
        for (spec, what) in sets {
            guard FileStat.exists(spec.path) else {
                bag.error("\(what): \(spec.givenPath) does not exist (resolved to \(spec.path)); the path is relative to the recipe's folder", at: spec.location)
                continue
            }
            let data: DataSet
            do { data = try DataSet(path: spec.path, labelKey: spec.labels) } catch {
                bag.error("\(what): \(error)", at: spec.location)
                continue
            }
            for p in Calibrator.problems(data, model: file.model) { bag.error("\(what): \(p)", at: spec.location) }
            if let n = spec.samples, n > data.sampleCount, data.sampleCount > 0 {
                bag.error("\(what) asks for \(n) samples but \(spec.givenPath) has \(data.sampleCount); lower samples or add data", at: spec.location)
            }
            if what == "data.evaluation", recipe.gates.contains(where: { $0.metric == .accuracy }), data.label == nil {
                let gate = recipe.gates.first { $0.metric == .accuracy }!
                bag.error("gate 'accuracy' needs labels, but \(spec.givenPath) has no '\(spec.labels)' arrays (NNNN.\(spec.labels)); add them or drop the gate",
                          at: gate.location, notes: [.note("the evaluation set", at: spec.location)])
            }
        }
    }
}
