import Foundation
import PareBasics
import PareFormats
import ParePasses
import PareRecipe

/// What a build would do with a step, without doing it.
public struct StepStatus: Sendable, Codable {
    public enum State: String, Sendable, Codable { case cached, run }
    public var id: String
    public var state: State
    /// Why the step must run (changed key components, or that an input will change).
    public var reasons: [String]
    /// The step's current key components, when its inputs are known.
    public var components: ActionKeyComponents?
    /// The components of the step's last run, if any.
    public var previous: ActionKeyComponents?
}

extension Executor {
    /// Computes every step's status from the caches: a step is cached when its key is in the action cache
    /// (and, for bundles, the files on disk are intact). Steps downstream of one that must run are "run".
    public func predict() -> [StepStatus] {
        var out: [StepStatus] = []
        for (i, step) in plan.steps.enumerated() {
            let previous = cache.lastComponents(recipe: plan.recipe.name, step: step.id)
            var components: ActionKeyComponents?
            var cached = false
            var reasons: [String] = []
            var parentUnknown: String?
            switch step.kind {
            case .importModel:
                if let d = try? sourceDigest() {
                    setSourceDigest(d)
                    let c = importComponents(sourceDigest: d)
                    components = c
                    if let rec = cachedRecord(c), let a = rec.artifact { setArtifactForPrediction(a, step: i); cached = true }
                } else {
                    reasons.append("cannot read the model \(plan.recipe.model.givenPath)")
                }
            case .calibrate:
                if let input = knownArtifact(step.inputs[0]) {
                    if let c = try? calibrateComponents(step, input: input) {
                        components = c
                        if let rec = cache.actions.get(c.key, as: ActionRecord.self), rec.components == c, let out = rec.output, cache.store.contains(out) {
                            setArtifactForPrediction(out, step: i); cached = true
                        }
                    } else {
                        reasons.append("cannot read data.calibration")
                    }
                } else {
                    parentUnknown = plan.steps[step.inputs[0]].id
                }
            case .evaluate:
                if let input = knownArtifact(step.inputs[0]), let c = try? evaluateComponents(step, input: input) {
                    components = c
                    if let rec = cachedRecord(c), let a = rec.artifact, let out = rec.output,
                       let report = try? CanonicalJSON.decode(EvaluationReport.self, from: cache.store.data(out)) {
                        setArtifactForPrediction(a, step: i)
                        lock.withLock { evaluations[step.targets[0]] = report }
                        cached = true
                    }
                } else {
                    parentUnknown = plan.steps[step.inputs.first { knownArtifact($0) == nil } ?? step.inputs[0]].id
                }
            case .pass:
                if step.inputs.count > 1, knownArtifact(step.inputs[1]) == nil {
                    parentUnknown = plan.steps[step.inputs[1]].id
                } else if let input = knownArtifact(step.inputs[0]) {
                    let c = passComponents(step, input: input, statistics: step.inputs.count > 1 ? knownArtifact(step.inputs[1]) : nil)
                    components = c
                    if let rec = cachedRecord(c), let a = rec.artifact { setArtifactForPrediction(a, step: i); cached = true }
                } else {
                    parentUnknown = plan.steps[step.inputs[0]].id
                }
            case .bundle:
                if let input = knownArtifact(step.inputs[0]), let sourceArtifact = knownArtifact(0),
                   let source = try? loadArtifact(sourceArtifact) {
                    let target = plan.targets.first { $0.id == step.targets[0] }!
                    let c = bundleComponents(config: bundleConfig(target: target, source: source, sourceArtifact: sourceArtifact), input: input)
                    components = c
                    let writer = bundleWriter(for: target)
                    if let rec = cache.actions.get(c.key, as: ActionRecord.self), let b = rec.bundle {
                        cached = writer.isIntact(key: c.key, record: b)
                        if !cached { reasons.append("bundle files in \(writer.bundleDir) are missing or were modified") }
                    }
                } else {
                    parentUnknown = plan.steps[step.inputs[0]].id
                }
            }
            if !cached {
                if let p = parentUnknown {
                    reasons.append("its input changes when '\(p)' runs")
                } else if let c = components {
                    if let prev = previous {
                        let diff = c.differences(from: prev)
                        if diff.isEmpty {
                            if reasons.isEmpty { reasons.append("same inputs as its last run, but the cached result is gone (cache gc or verify removed it)") }
                        } else {
                            reasons += diff
                        }
                    } else if reasons.isEmpty {
                        reasons.append("never built")
                    }
                }
            }
            out.append(StepStatus(id: step.id, state: cached ? .cached : .run, reasons: reasons, components: components, previous: previous))
        }
        return out
    }
}
