import Foundation
import PareBasics
import PareFormats
import ParePasses
import PareRecipe
import PareRuntime

extension Executor {
    /// What a calibrate step's statistics depend on besides the model: the data's content and the histogram size.
    struct CalibrationConfig: Codable {
        var samples: Int?
        var seed: UInt64
        var bins: Int
    }

    static let calibrationBins = 2048

    /// The content digest of a data set's selected samples (memoized per build).
    func dataDigest(_ spec: DataSetSpec) throws -> Digest {
        let memoKey = "\(spec.path)|\(spec.samples ?? -1)|\(spec.seed)|\(spec.labels)"
        if let d = lock.withLock({ dataDigests[memoKey] }) { return d }
        let d = try DataSet(path: spec.path, labelKey: spec.labels).contentDigest(DataSetSelection(samples: spec.samples, seed: spec.seed))
        lock.withLock { dataDigests[memoKey] = d }
        return d
    }

    func calibrateComponents(_ step: BuildStep, input: Digest) throws -> ActionKeyComponents {
        let spec = plan.recipe.data.calibration!
        return ActionKeyComponents(kind: "calibrate", action: "calibrate", actionVersion: 1,
                                   config: JSONValue.from(CalibrationConfig(samples: spec.samples, seed: spec.seed, bins: Self.calibrationBins)),
                                   inputs: ["model": input.hex, "data": try dataDigest(spec).hex], targetFields: [:],
                                   kernelVersion: kernelVersion, salt: options.salt)
    }

    /// Runs the calibration samples through the model (as it is at this point of the chain) and stores the
    /// activation statistics; returns their blob digest.
    func runCalibrate(_ step: BuildStep, input: Digest) throws -> (Digest, StepResult.Status) {
        let spec = plan.recipe.data.calibration!
        let components: ActionKeyComponents
        do { components = try calibrateComponents(step, input: input) } catch {
            throw BuildError(step: step.id, message: "data.calibration: \(error)")
        }
        if let rec = cache.actions.get(components.key, as: ActionRecord.self), rec.components == components,
           let out = rec.output, cache.store.contains(out) {
            cache.actions.touch(components.key)
            cache.recordComponents(components, recipe: plan.recipe.name, step: step.id)
            return (out, .cached)
        }
        observer?.stepStarted(step, tensors: 0)
        let model = try loadArtifact(input)
        let (interpreter, _) = try ModelRunner(store: cache.store, options: ONNXEncodeOptions(modelName: plan.recipe.model.givenPath)).open(model, label: step.id)
        let stats: CalibrationStatistics
        do {
            let data = try DataSet(path: spec.path, labelKey: spec.labels)
            let selection = DataSetSelection(samples: spec.samples, seed: spec.seed)
            // Every sample is read and checked (shapes, NaN / ±∞) before the model runs.
            let problems = Calibrator.problems(data, for: interpreter)
            guard problems.isEmpty else { throw RuntimeError(problems.joined(separator: "\n")) }
            for i in try selection.indices(count: data.sampleCount) { _ = try Calibrator.inputs(of: data, sample: i, for: interpreter) }
            stats = try Calibrator.collect(interpreter, data: data, selection: selection, binCount: Self.calibrationBins)
        } catch {
            throw BuildError(step: step.id, message: "data.calibration (\(spec.givenPath)): \(error)")
        }
        let digest = try cache.store.put(CanonicalJSON.encode(stats))
        try record(ActionRecord(components: components, artifact: nil, bundle: nil, tensorsComputed: 0, tensorsReused: 0, output: digest), step: step)
        return (digest, .executed)
    }

    func loadStatistics(_ digest: Digest) throws -> CalibrationStatistics {
        try CanonicalJSON.decode(CalibrationStatistics.self, from: cache.store.data(digest))
    }
}
