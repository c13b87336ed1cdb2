import Foundation
import PareBasics
import PareFormats
import ParePasses
import PareONNXProto
import PareRecipe
import SwiftProtobuf

extension Executor {
    /// Key components of a pass step: pass name and version, resolved config, input model digest.
    func passComponents(_ step: BuildStep, input: Digest, statistics: Digest? = nil) -> ActionKeyComponents {
        let spec = step.pass!
        var inputs = ["model": input.hex]
        if let statistics { inputs["calibration"] = statistics.hex }
        return ActionKeyComponents(kind: "pass", action: spec.config.passName, actionVersion: PassRegistry.version(of: spec),
                                   config: JSONValue.from(spec.config), inputs: inputs, targetFields: [:],
                                   kernelVersion: kernelVersion, salt: options.salt)
    }

    /// Runs a weight pass tensor by tensor; each tensor is looked up in the tensor cache first.
    func runPass(_ step: BuildStep, input: Digest, statistics: Digest? = nil) throws -> (Digest, StepResult.Status, Int, Int) {
        if let modelPass = PassRegistry.modelPass(for: step.pass!) {
            return try runModelPass(step, pass: modelPass, input: input)
        }
        let components = passComponents(step, input: input, statistics: statistics)
        if let rec = cachedRecord(components), let a = rec.artifact {
            cache.recordComponents(components, recipe: plan.recipe.name, step: step.id)
            return (a, .cached, 0, 0)
        }
        let spec = step.pass!
        guard let pass = PassRegistry.pass(for: spec) else {
            throw BuildError(step: step.id, message: "pass '\(spec.config.passName)' is not available in this build of pare")
        }
        let model = try loadArtifact(input)
        let context = PassContext(store: cache.store, threads: 1)
        let parameters: [String: TensorParameters]
        do { parameters = try pass.parameters(for: model, context: context) } catch {
            throw BuildError(step: step.id, message: "\(error)")
        }
        let touched = model.tensors.indices.filter { parameters[model.tensors[$0].name] != nil }
        observer?.stepStarted(step, tensors: touched.count)
        let passName = spec.config.passName
        let version = PassRegistry.version(of: spec)
        let outputs = try ParallelMap.run(count: touched.count, workers: options.jobs) { k -> (TensorRecord, Bool) in
            let rec = model.tensors[touched[k]]
            let p = parameters[rec.name]!
            let key = try CanonicalJSON.digest(TensorKeyComponents(pass: passName, passVersion: version, kernelVersion: kernelVersion,
                                                                  parameters: p, input: rec, salt: options.salt))
            if let hit = cache.tensors.get(key, as: TensorActionRecord.self), hit.output.blobs.allSatisfy(cache.store.contains) {
                cache.tensors.touch(key)
                observer?.tensorFinished(step, bytes: rec.byteCount, reused: true)
                return (hit.output, true)
            }
            let out: TensorRecord
            do { out = try pass.apply(rec, parameters: p, context: context) } catch {
                throw BuildError(step: step.id, message: "\(error)")
            }
            try cache.tensors.put(key, TensorActionRecord(output: out))
            observer?.tensorFinished(step, bytes: rec.byteCount, reused: false)
            return (out, false)
        }
        var result = model
        for (k, i) in touched.enumerated() { result.tensors[i] = outputs[k].0 }
        if case .quantize(let q) = spec.config, let a = q.activations {
            result.activations = try activationEncoding(a, model: model, statistics: statistics, step: step)
        }
        let reused = outputs.filter(\.1).count
        let digest = try storeArtifact(result)
        try record(ActionRecord(components: components, artifact: digest, bundle: nil,
                                tensorsComputed: outputs.count - reused, tensorsReused: reused), step: step)
        return (digest, .executed, outputs.count - reused, reused)
    }
}

extension Executor {
    /// The activation side of a quantize pass: parameters from the calibration statistics, or the dynamic form.
    func activationEncoding(_ setting: ActivationsSetting, model: ModelArtifact, statistics: Digest?, step: BuildStep) throws -> ActivationEncoding {
        switch setting {
        case .dynamic:
            return ActivationEncoding(dynamic: true)
        case .calibrated(let spec):
            guard let statistics, let graph = model.graph else {
                throw BuildError(step: step.id, message: "activation quantization needs an ONNX graph and calibration statistics")
            }
            let skeleton = try Onnx_ModelProto(serializedBytes: [UInt8](cache.store.data(graph)))
            return ActivationQuantizer.choose(graph: skeleton.graph, statistics: try loadStatistics(statistics), spec: spec,
                                              statisticsDigest: statistics.hex)
        }
    }
}
