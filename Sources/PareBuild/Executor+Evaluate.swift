import Foundation
import PareBasics
import PareFormats
import ParePasses
import PareRecipe
import PareRuntime

extension Executor {
    /// What an evaluate step's result depends on besides its input digests.
    struct EvaluationConfig: Codable {
        var samples: Int?
        var seed: UInt64
        var gates: [Gate]
        var encode: BundleConfigEncode
        var fallback: FallbackSpec?
        var weights: WeightSupport?
        var activations: ActivationSupport?
    }

    /// The encoder settings that change the evaluated ONNX model.
    struct BundleConfigEncode: Codable {
        var matMulNBits: Bool
        var float16Compute: Bool
    }

    /// The quantize pass of a target's chain that has a fallback policy: its step, and its input steps.
    func fallbackPass(for target: String) -> (step: Int, spec: PassSpec, fallback: FallbackSpec)? {
        for i in plan.chain(for: target) where plan.steps[i].kind == .pass {
            if let spec = plan.steps[i].pass, case .quantize(let q) = spec.config, let f = q.fallback { return (i, spec, f) }
        }
        return nil
    }

    func evaluateComponents(_ step: BuildStep, input: Digest) throws -> ActionKeyComponents? {
        let target = plan.targets.first { $0.id == step.targets[0] }!
        let writer = bundleWriter(for: target)
        var inputs = ["model": input.hex, "source": artifact(of: 0).hex]
        if let e = plan.recipe.data.evaluation { inputs["data"] = try dataDigest(e).hex }
        let fb = fallbackPass(for: target.id)
        if let fb {
            guard let pre = knownArtifact(plan.steps[fb.step].inputs[0]) else { return nil }
            inputs["pre_quantize"] = pre.hex
            if plan.steps[fb.step].inputs.count > 1 {
                guard let stats = knownArtifact(plan.steps[fb.step].inputs[1]) else { return nil }
                inputs["calibration"] = stats.hex
            }
        }
        let e = plan.recipe.data.evaluation
        let config = EvaluationConfig(samples: e?.samples, seed: e?.seed ?? 0, gates: plan.recipe.gates,
                                      encode: BundleConfigEncode(matMulNBits: writer.onnxOptions.allowMatMulNBits, float16Compute: writer.onnxOptions.keepFloat16Compute),
                                      fallback: fb?.fallback, weights: fb == nil ? nil : target.weights, activations: fb == nil ? nil : target.activations)
        return ActionKeyComponents(kind: "evaluate", action: "evaluate", actionVersion: 1, config: JSONValue.from(config), inputs: inputs,
                                   targetFields: [:], kernelVersion: kernelVersion, salt: options.salt)
    }

    /// Measures the target's compressed model against the float model, judges the gates, and — when they fail and
    /// the quantize pass has `fallback:` — keeps the most sensitive layers in higher precision until they pass.
    /// Returns the model artifact the bundle gets (the input, or the one with fallbacks).
    func runEvaluate(_ step: BuildStep, input: Digest) throws -> (Digest, StepResult.Status) {
        let targetID = step.targets[0]
        let target = plan.targets.first { $0.id == targetID }!
        let components: ActionKeyComponents
        do { components = try evaluateComponents(step, input: input)! } catch {
            throw BuildError(step: step.id, message: "data.evaluation: \(error)")
        }
        if let rec = cachedRecord(components), let a = rec.artifact, let out = rec.output, cache.store.contains(out),
           let report = try? CanonicalJSON.decode(EvaluationReport.self, from: cache.store.data(out)) {
            cache.recordComponents(components, recipe: plan.recipe.name, step: step.id)
            lock.withLock { evaluations[targetID] = report }
            return (a, .cached)
        }
        observer?.stepStarted(step, tensors: 0)
        let runner = ModelRunner(store: cache.store, options: bundleWriter(for: target).onnxOptions)
        var model = try loadArtifact(input)
        var output = input
        var report: EvaluationReport
        do {
            let evaluator = try sharedEvaluator()
            let (interpreter, bytes) = try runner.open(model, label: step.id)
            let metrics = try evaluator.map { try $0.measure(interpreter, bytes: bytes) } ?? sizeOnlyMetrics(bytes: bytes)
            let gates = plan.recipe.gates.map { GateResult.judge($0, metrics) }
            report = EvaluationReport(metrics: metrics, gates: gates, passed: gates.allSatisfy(\.passed))
            if let fb = fallbackPass(for: targetID), let evaluator {
                (model, report) = try runFallback(model: model, report: report, pass: fb, target: target, evaluator: evaluator, runner: runner, step: step)
                if !(report.fallback ?? []).isEmpty { output = try storeArtifact(model) }
            }
        } catch let e as BuildError {
            throw e
        } catch {
            throw BuildError(step: step.id, message: "\(error)")
        }
        let digest = try cache.store.put(CanonicalJSON.encode(report))
        lock.withLock { evaluations[targetID] = report }
        try record(ActionRecord(components: components, artifact: output, bundle: nil, tensorsComputed: 0, tensorsReused: 0, output: digest), step: step)
        return (output, .executed)
    }

    /// Metrics without an evaluation set: sizes only.
    func sizeOnlyMetrics(bytes: Int) -> EvaluationMetrics {
        EvaluationMetrics(samples: 0, cosineMean: nil, cosineMin: nil, sqnrDB: nil, maxAbsError: nil, top1Agreement: nil,
                          accuracy: nil, floatAccuracy: nil, sizeMB: Double(bytes) / 1e6, floatSizeMB: Double(sourceModelBytes()) / 1e6)
    }

    /// The source model's size: its file, or its tensor bytes when they are larger (weights in external data files).
    func sourceModelBytes() -> Int {
        let file = (try? FileManager.default.attributesOfItem(atPath: plan.recipe.model.path)[.size] as? Int) ?? 0
        let tensors = (try? loadArtifact(artifact(of: 0)).storedBytes) ?? 0
        return max(file, tensors)
    }

    /// The float model's evaluator for the recipe's evaluation set (one per build), nil without one.
    func sharedEvaluator() throws -> Evaluator? {
        guard let spec = plan.recipe.data.evaluation else { return nil }
        let key = try dataDigest(spec).hex
        if let e = lock.withLock({ evaluators[key] }) { return e }
        let float = try Interpreter(path: plan.recipe.model.path, options: InterpreterOptions(blasThreads: 1))
        let data = try DataSet(path: spec.path, labelKey: spec.labels)
        let problems = Calibrator.problems(data, for: float)
        guard problems.isEmpty else { throw RuntimeError(problems.joined(separator: "\n")) }
        let e = try Evaluator(data: data, selection: DataSetSelection(samples: spec.samples, seed: spec.seed), float: float,
                              floatBytes: sourceModelBytes())
        lock.withLock { evaluators[key] = e }
        return e
    }

    func evaluation(for target: String) -> EvaluationReport? { lock.withLock { evaluations[target] } }
}
