import Foundation
import PareBasics
import PareFormats
import ParePasses
import PareRecipe
import PareTensor

/// Runs a build plan: computes each step's action key, skips steps whose key is in the action cache, runs
/// the others (independent steps in parallel), and writes the bundles.
public final class Executor: @unchecked Sendable {
    public let plan: BuildPlan
    public let options: BuildOptions
    public let cache: Cache
    weak var observer: (any BuildObserver)?

    /// Outputs of finished steps, by step index.
    private var artifacts: [Int: Digest] = [:]
    private var results: [Int: StepResult] = [:]
    private var bundles: [String: BundleResult] = [:]
    private var source: Digest?
    let lock = NSLock()
    /// Content digests of data sets, by path and selection.
    var dataDigests: [String: Digest] = [:]
    /// Evaluation results by target (evaluate steps), read by the bundle steps.
    var evaluations: [String: EvaluationReport] = [:]
    /// Reports of model passes by "<pass id>@<target>", read by the bundle steps.
    var passReports: [String: PassReport] = [:]
    /// Float-model evaluators by data digest, shared by the targets' evaluate steps.
    var evaluators: [String: Evaluator] = [:]

    public init(plan: BuildPlan, options: BuildOptions, observer: (any BuildObserver)? = nil) throws {
        self.plan = plan
        self.options = options
        self.cache = try Cache(root: options.cacheRoot)
        self.observer = observer
    }

    /// Runs every step; returns the report. Throws the first failure (by step order) after running steps finish.
    public func run() throws -> BuildReport {
        let successors = plan.steps.indices.map { i in plan.steps.indices.filter { plan.steps[$0].inputs.contains(i) } }
        try Scheduler.run(count: plan.steps.count, successors: successors, workers: options.jobs) { i in
            try self.runStep(i)
        }
        let steps = plan.steps.indices.map { results[$0]! }
        return BuildReport(
            recipe: plan.recipe.name,
            executed: steps.filter { $0.status == .executed }.count,
            cached: steps.filter { $0.status == .cached }.count,
            steps: steps,
            bundles: plan.targets.compactMap { bundles[$0.id] })
    }

    private func runStep(_ i: Int) throws {
        let step = plan.steps[i]
        let start = DispatchTime.now().uptimeNanoseconds
        var result: StepResult
        switch step.kind {
        case .importModel:
            let (digest, status, computed) = try importModel(step)
            set(artifact: digest, for: i)
            result = makeResult(step, status, computed: computed, reused: 0)
        case .pass:
            let input = artifact(of: step.inputs[0])
            let statistics = step.inputs.count > 1 ? artifact(of: step.inputs[1]) : nil
            let (digest, status, computed, reused) = try runPass(step, input: input, statistics: statistics)
            set(artifact: digest, for: i)
            result = makeResult(step, status, computed: computed, reused: reused)
            if let id = step.pass?.id, let t = step.targets.first { result.report = passReport(id, target: t) }
        case .calibrate:
            let (digest, status) = try runCalibrate(step, input: artifact(of: step.inputs[0]))
            set(artifact: digest, for: i)
            result = makeResult(step, status, computed: 0, reused: 0)
        case .evaluate:
            let (digest, status) = try runEvaluate(step, input: artifact(of: step.inputs[0]))
            set(artifact: digest, for: i)
            result = makeResult(step, status, computed: 0, reused: 0)
        case .bundle:
            let input = artifact(of: step.inputs[0])
            let (bundle, status) = try writeBundle(step, input: input)
            lock.withLock { bundles[step.targets[0]] = bundle }
            result = makeResult(step, status, computed: 0, reused: 0)
        }
        result.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        lock.withLock { results[i] = result }
        observer?.stepFinished(step, result: result)
    }

    private func makeResult(_ step: BuildStep, _ status: StepResult.Status, computed: Int, reused: Int) -> StepResult {
        StepResult(id: step.id, pass: step.actionName, target: step.targets.count == 1 ? step.targets[0] : nil,
                   targets: step.targets, status: status, tensorsComputed: computed, tensorsReused: reused, seconds: 0)
    }

    func setSourceDigest(_ d: Digest) { lock.withLock { source = d } }
    /// The source file's digest, known once the import step ran.
    var sourceFileDigest: Digest { lock.withLock { source! } }

    func artifact(of step: Int) -> Digest { lock.withLock { artifacts[step]! } }
    func knownArtifact(_ step: Int) -> Digest? { lock.withLock { artifacts[step] } }
    func setArtifactForPrediction(_ d: Digest, step: Int) { lock.withLock { artifacts[step] = d } }
    private func set(artifact: Digest, for step: Int) { lock.withLock { artifacts[step] = artifact } }

    // MARK: Cache lookups shared by steps

    /// The cached record for a key, if it and every blob it names are present.
    func cachedRecord(_ components: ActionKeyComponents) -> ActionRecord? {
        let key = components.key
        guard let rec = cache.actions.get(key, as: ActionRecord.self), rec.components == components else { return nil }
        if let a = rec.artifact {
            guard let model = try? loadArtifact(a), model.blobs.allSatisfy(cache.store.contains) else { return nil }
        }
        cache.actions.touch(key)
        return rec
    }

    func loadArtifact(_ digest: Digest) throws -> ModelArtifact {
        try CanonicalJSON.decode(ModelArtifact.self, from: cache.store.data(digest))
    }

    func storeArtifact(_ model: ModelArtifact) throws -> Digest {
        try cache.store.put(model.canonicalData())
    }

    func record(_ rec: ActionRecord, step: BuildStep) throws {
        try cache.actions.put(rec.components.key, rec)
        cache.recordComponents(rec.components, recipe: plan.recipe.name, step: step.id)
    }
}
