import Foundation
import PareBasics
import PareFormats
import ParePasses
import PareRecipe
import PareRuntime

extension Executor {
    /// Key components of a model pass step: pass name and version, resolved config, input model digest, and,
    /// when the pass reads them, the calibration data's content digest and the teacher (imported) model.
    func modelPassComponents(_ step: BuildStep, input: Digest) throws -> ActionKeyComponents {
        let spec = step.pass!
        var inputs = ["model": input.hex]
        if spec.config.needsCalibration, let data = plan.recipe.data.calibration { inputs["data"] = try dataDigest(data).hex }
        if case .distill = spec.config { inputs["teacher"] = artifact(of: 0).hex }
        return ActionKeyComponents(kind: "pass", action: spec.config.passName, actionVersion: PassRegistry.version(of: spec),
                                   config: JSONValue.from(spec.config), inputs: inputs, targetFields: [:],
                                   kernelVersion: kernelVersion, salt: options.salt)
    }

    /// Runs a model pass (whole model at once) and records its report.
    func runModelPass(_ step: BuildStep, pass: any ModelPass, input: Digest) throws -> (Digest, StepResult.Status, Int, Int) {
        let spec = step.pass!
        let components: ActionKeyComponents
        do { components = try modelPassComponents(step, input: input) } catch {
            throw BuildError(step: step.id, message: "data.calibration: \(error)")
        }
        if let rec = cachedRecord(components), let a = rec.artifact {
            cache.recordComponents(components, recipe: plan.recipe.name, step: step.id)
            if let r = rec.output { setPassReport(try loadPassReport(r), step: step) }
            return (a, .cached, 0, 0)
        }
        observer?.stepStarted(step, tensors: 0)
        let model = try loadArtifact(input)
        let runner = ModelRunner(store: cache.store, options: ONNXEncodeOptions(modelName: plan.recipe.model.givenPath))
        let label = step.id
        var samples: [[String: Tensor]] = []
        if spec.config.needsCalibration {
            samples = try calibrationSamples(step, model: model, runner: runner)
        }
        let teacher: ModelArtifact?
        if case .distill = spec.config { teacher = try loadArtifact(artifact(of: 0)) } else { teacher = nil }
        var context = ModelPassContext(store: cache.store, threads: options.jobs, samples: samples, teacher: teacher,
                                       open: { try runner.open($0, label: label).0 }, modelName: plan.recipe.model.givenPath)
        context.spec = spec
        let output: ModelPassOutput
        do { output = try pass.run(model, context: context) } catch let e as BuildError {
            throw e
        } catch {
            throw BuildError(step: step.id, message: "\(error)")
        }
        let digest = try storeArtifact(output.artifact)
        let reportDigest = try cache.store.put(CanonicalJSON.encode(output.report))
        setPassReport(output.report, step: step)
        let changed = zip(model.tensors, output.artifact.tensors).filter { $0 != $1 }.count + max(0, output.artifact.tensors.count - model.tensors.count)
        try record(ActionRecord(components: components, artifact: digest, bundle: nil, tensorsComputed: changed, tensorsReused: 0,
                                output: reportDigest), step: step)
        return (digest, .executed, changed, 0)
    }

    /// The calibration inputs a pass runs the model on, checked before any compute.
    func calibrationSamples(_ step: BuildStep, model: ModelArtifact, runner: ModelRunner) throws -> [[String: Tensor]] {
        let spec = plan.recipe.data.calibration!
        let (interpreter, _) = try runner.open(model, label: step.id)
        do {
            let data = try DataSet(path: spec.path, labelKey: spec.labels)
            let problems = Calibrator.problems(data, for: interpreter)
            guard problems.isEmpty else { throw RuntimeError(problems.joined(separator: "\n")) }
            let indices = try DataSetSelection(samples: spec.samples, seed: spec.seed).indices(count: data.sampleCount)
            return try indices.map { try Calibrator.inputs(of: data, sample: $0, for: interpreter) }
        } catch {
            throw BuildError(step: step.id, message: "data.calibration (\(spec.givenPath)): \(error)")
        }
    }

    func loadPassReport(_ digest: Digest) throws -> PassReport {
        try CanonicalJSON.decode(PassReport.self, from: cache.store.data(digest))
    }

    private func setPassReport(_ report: PassReport, step: BuildStep) {
        lock.withLock { for t in step.targets { passReports["\(step.pass!.id)@\(t)"] = report } }
    }

    /// The report of pass `id` in the chain of `target`, if it is a model pass that ran (or was cached) in this build.
    func passReport(_ id: String, target: String) -> PassReport? { lock.withLock { passReports["\(id)@\(target)"] } }
}
