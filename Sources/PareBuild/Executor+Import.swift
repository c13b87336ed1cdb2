import Foundation
import PareBasics
import PareFormats
import ParePasses
import PareONNXProto
import SwiftProtobuf

extension Executor {
    /// Key components of the import step: the source file's content digest.
    func importComponents(sourceDigest: Digest) -> ActionKeyComponents {
        ActionKeyComponents(kind: "import", action: "import-\(plan.sourceHeader.format.rawValue)", actionVersion: 1, config: nil,
                            inputs: ["source": sourceDigest.hex], targetFields: [:], kernelVersion: kernelVersion, salt: options.salt)
    }

    /// The source file's digest (memoized by file identity, so an unchanged file is not read).
    func sourceDigest() throws -> Digest {
        var hashed = false
        do {
            return try cache.memo.digest(ofFile: plan.recipe.model.path, hashed: &hashed)
        } catch {
            throw BuildError(step: "import", message: "cannot read the model \(plan.recipe.model.givenPath): \(error)")
        }
    }

    /// Splits the source model into one blob per tensor plus a manifest.
    func importModel(_ step: BuildStep) throws -> (Digest, StepResult.Status, Int) {
        let source = try sourceDigest()
        setSourceDigest(source)
        let components = importComponents(sourceDigest: source)
        if let rec = cachedRecord(components), let a = rec.artifact {
            cache.recordComponents(components, recipe: plan.recipe.name, step: step.id)
            return (a, .cached, 0)
        }
        if plan.sourceHeader.format == .onnx { return try importONNX(step, components: components) }
        let file: SafetensorsFile
        do { file = try SafetensorsFile(path: plan.recipe.model.path) } catch {
            throw BuildError(step: step.id, message: "\(error)")
        }
        file.adviseSequential()
        let tensors = file.tensors
        observer?.stepStarted(step, tensors: tensors.count)
        let records = try ParallelMap.run(count: tensors.count, workers: options.jobs) { i -> TensorRecord in
            let t = tensors[i]
            let d = try cache.store.put(file.bytes(of: t))
            observer?.tensorFinished(step, bytes: t.byteCount, reused: false)
            return TensorRecord(name: t.name, dtype: t.dtype, shape: t.shape, digest: d, byteCount: t.byteCount, origin: d, originDType: t.dtype)
        }
        let model = ModelArtifact(format: "safetensors", metadata: file.header.metadata, tensors: records)
        let digest = try storeArtifact(model)
        try record(ActionRecord(components: components, artifact: digest, bundle: nil, tensorsComputed: records.count, tensorsReused: 0), step: step)
        return (digest, .executed, records.count)
    }
}

extension Executor {
    /// ONNX: one blob per weight payload plus the weight-free skeleton of the model (graph, attributes, metadata).
    func importONNX(_ step: BuildStep, components: ActionKeyComponents) throws -> (Digest, StepResult.Status, Int) {
        let file: ONNXFile
        do { file = try ONNXFile(path: plan.recipe.model.path) } catch {
            throw BuildError(step: step.id, message: "\(error)")
        }
        let tensors = file.tensors
        observer?.stepStarted(step, tensors: tensors.count)
        let records = try ParallelMap.run(count: tensors.count, workers: options.jobs) { i -> TensorRecord in
            let t = tensors[i]
            let d: Digest
            do { d = try file.withPayload(t) { try cache.store.put($0) } } catch {
                throw BuildError(step: step.id, message: "\(error)")
            }
            observer?.tensorFinished(step, bytes: t.byteCount, reused: false)
            return TensorRecord(name: t.name, dtype: t.dtype, shape: t.shape, digest: d, byteCount: t.byteCount, origin: d, originDType: t.dtype)
        }
        let skeleton = try cache.store.put(file.model.serializedBytes() as [UInt8])
        var keys: [String: String] = [:]
        for t in tensors where t.isStripped { keys[t.name] = t.payloadKey }
        let model = ModelArtifact(format: "onnx", metadata: [:], tensors: records, graph: skeleton, payloadKeys: keys)
        let digest = try storeArtifact(model)
        try record(ActionRecord(components: components, artifact: digest, bundle: nil, tensorsComputed: records.count, tensorsReused: 0), step: step)
        return (digest, .executed, records.count)
    }
}

/// A step failed; names the step and what to do.
public struct BuildError: Error, Sendable, CustomStringConvertible {
    public var step: String
    public var message: String
    public init(step: String, message: String) {
        self.step = step
        self.message = message
    }
    public var description: String { "step \(step): \(message)" }
}
