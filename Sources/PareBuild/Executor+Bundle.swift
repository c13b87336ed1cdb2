import Foundation
import PareBasics
import PareFormats
import ParePasses
import PareRecipe

extension Executor {
    /// What the bundle step's output depends on besides the model: recipe, source, passes, archive time.
    struct BundleConfig: Codable {
        var recipe: BundleManifest.RecipeInfo
        var source: BundleManifest.Source
        var passes: [BundleManifest.PassEntry]
        var target: BundleManifest.TargetInfo
        /// `bundle.tar`: whether `<target>.tar` is written (the bundle's bytes and digest do not depend on it).
        var tar: Bool
        /// `bundle.external_data`: whether an ONNX model's weights always go to `model.onnx.data`.
        var externalData: ExternalDataMode
        var mtime: Int
        var tool: String
        /// ONNX: the contrib ops the target's runtime has (decides MatMulNBits).
        var runtimeOps: [String]?
        /// The evaluate step's report (metrics and gates go into the manifest; failing gates move the bundle).
        var evaluation: EvaluationReport?
    }

    /// The recipe as resolved for one target: what the manifest's recipe digest covers. Editing the recipe for
    /// another target (its per_target entry) leaves this target's digest, and so its bundle, unchanged.
    /// `bundle.tar` is left out on purpose: whether the archive is written changes no byte of the bundle, so a
    /// build with `tar: false` reports the same archive digest as one with `tar: true` (it is in `BundleConfig`,
    /// so switching it still re-runs the bundle step, which writes or removes the archive).
    struct ResolvedRecipe: Codable {
        var recipe: String
        var model: String
        var format: String
        var target: String
        var passes: [PassConfig]
        var ids: [String]
        var externalData: ExternalDataMode
    }

    func recipeDigest(for target: String) -> Digest {
        let passes = plan.recipe.passes(for: target)
        let resolved = ResolvedRecipe(recipe: plan.recipe.name, model: plan.recipe.model.givenPath, format: plan.recipe.model.format.rawValue,
                                      target: target, passes: passes.map(\.config), ids: passes.map(\.id),
                                      externalData: plan.recipe.bundle.externalData)
        return (try? CanonicalJSON.digest(resolved)) ?? Digest.of("")
    }

    func bundleConfig(target: TargetProfile, source: ModelArtifact, sourceArtifact: Digest) -> BundleConfig {
        let passes = plan.recipe.passes(for: target.id).map {
            BundleManifest.PassEntry(id: $0.id, pass: $0.config.passName, version: PassRegistry.version(of: $0), config: JSONValue.from($0.config),
                                     report: passReport($0.id, target: target.id).map { r in
                                         // Wall time would make equal builds differ: the manifest keeps the work, not the seconds.
                                         var r = r; r.kernelSeconds = nil; return r
                                     })
        }
        let src = BundleManifest.Source(
            path: plan.recipe.model.givenPath, sha256: sourceFileDigest.hex, format: plan.sourceHeader.format.rawValue, artifact: sourceArtifact.hex,
            tensors: source.tensors.count, bytes: source.tensors.reduce(0) { $0 + $1.byteCount })
        return BundleConfig(
            recipe: .init(name: plan.recipe.name, sha256: recipeDigest(for: target.id).hex), source: src, passes: passes,
            target: .init(id: target.id, name: target.name, kind: target.kind.rawValue, vendor: target.vendor, format: plan.sourceHeader.format.rawValue),
            tar: plan.recipe.bundle.tar, externalData: plan.recipe.bundle.externalData, mtime: options.archiveMTime, tool: pareVersion,
            runtimeOps: plan.sourceHeader.format == .onnx ? target.runtimeOps.sorted() : nil,
            evaluation: evaluation(for: target.id))
    }

    func bundleComponents(config: BundleConfig, input: Digest) -> ActionKeyComponents {
        ActionKeyComponents(kind: "bundle", action: "bundle-\(plan.sourceHeader.format.rawValue)", actionVersion: 1, config: JSONValue.from(config),
                            inputs: ["model": input.hex], targetFields: [:], kernelVersion: kernelVersion, salt: options.salt)
    }

    /// Writes (or confirms) the bundle of one target.
    func writeBundle(_ step: BuildStep, input: Digest) throws -> (BundleResult, StepResult.Status) {
        let targetID = step.targets[0]
        let target = plan.targets.first { $0.id == targetID }!
        let sourceArtifact = artifact(of: 0)
        let source = try loadArtifact(sourceArtifact)
        let config = bundleConfig(target: target, source: source, sourceArtifact: sourceArtifact)
        let components = bundleComponents(config: config, input: input)
        let key = components.key
        var writer = bundleWriter(for: target)
        writer.gateFailed = config.evaluation.map { !$0.passed } ?? false
        func result(_ r: BundleRecord) -> BundleResult {
            var b = BundleResult(target: targetID, path: writer.bundleDir, sha256: r.tar.sha256.hex, bytes: r.tar.bytes, tar: writer.tar ? writer.tarPath : nil)
            b.evaluation = config.evaluation
            return b
        }
        // A passing build removes what a failing one left; a failing one never touches the passing bundle.
        if !writer.gateFailed { writer.removeGateFailed() }
        if let rec = cache.actions.get(key, as: ActionRecord.self), rec.components == components, let b = rec.bundle,
           writer.isIntact(key: key, record: b) {
            cache.actions.touch(key)
            cache.recordComponents(components, recipe: plan.recipe.name, step: step.id)
            return (result(b), .cached)
        }
        observer?.stepStarted(step, tensors: 0)
        let model = try loadArtifact(input)
        try verifySparsityPatterns(model, target: targetID)
        var manifest = BundleManifest(
            recipe: config.recipe, target: config.target, source: config.source, passes: config.passes,
            output: .init(file: writer.modelFileName, format: writer.format.rawValue, sha256: "", bytes: 0, artifact: input.hex),
            sizes: .init(sourceTensorBytes: config.source.bytes, outputTensorBytes: model.storedBytes,
                         compressionRatio: model.storedBytes == 0 ? 0 : (Double(config.source.bytes) / Double(model.storedBytes) * 1000).rounded() / 1000),
            tensors: BundleManifest.tensorEntries(model: model, source: source),
            activations: model.activations.map(BundleManifest.ActivationInfo.init), evaluation: config.evaluation)
        manifest.palettized = BundleManifest.palettized(model: model, lutBits: target.weights.lutBits)
        let record: BundleRecord
        do { record = try writer.write(model: model, manifest: manifest) } catch {
            throw BuildError(step: step.id, message: "cannot write the bundle in \(writer.bundleDir): \(error)")
        }
        writer.writeStamp(key: key, record: record)
        try self.record(ActionRecord(components: components, artifact: nil, bundle: record, tensorsComputed: 0, tensorsReused: 0), step: step)
        return (result(record), .executed)
    }

    /// The bundle writer of one target: format from the model, ONNX encodings from the target's runtime, whether
    /// the archive is written from `bundle.tar`.
    func bundleWriter(for target: TargetProfile) -> BundleWriter {
        var w = BundleWriter(store: cache.store, recipeDir: "\(options.distRoot)/\(plan.recipe.name)", target: target.id, mtime: options.archiveMTime)
        w.format = plan.sourceHeader.format
        w.externalData = plan.recipe.bundle.externalData
        w.tar = plan.recipe.bundle.tar
        let float16Compute = plan.recipe.passes(for: target.id).contains {
            if case .cast(let c) = $0.config { return c.compute == .float16 }
            return false
        }
        w.onnxOptions = ONNXEncodeOptions(allowMatMulNBits: target.runtimeOps.contains("MatMulNBits"), keepFloat16Compute: float16Compute)
        w.onnxOptions.modelName = plan.recipe.model.givenPath
        return w
    }
}
