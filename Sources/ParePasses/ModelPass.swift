import PareBasics
import PareFormats
import PareRecipe
import PareRuntime

/// A pass that works on the whole model at once: it rewrites the graph (fold, structured prune, lowrank) or needs
/// every layer together with calibration data (distill, gptq, mixed-precision). Its step is cached as a whole;
/// the tensors it does not change keep their blobs, so later per-tensor passes still reuse their work.
public protocol ModelPass: Sendable {
    /// The pass name used in recipes.
    static var name: String { get }
    /// Bumped whenever the pass's output for the same input changes.
    static var version: Int { get }
    /// The pass's step id in the recipe.
    var id: String { get }
    /// The transformed model and what the pass did.
    func run(_ model: ModelArtifact, context: ModelPassContext) throws -> ModelPassOutput
}

/// What a model pass may use while it runs.
public struct ModelPassContext: Sendable {
    /// The content store: tensor blobs and the graph skeleton.
    public var store: any BlobStore
    /// Threads the pass's kernels may use.
    public var threads: Int
    /// Calibration inputs (graph input name → tensor) in the selection's order; empty when the pass needs none.
    public var samples: [[String: Tensor]]
    /// The model as imported, before any pass: the teacher of `distill`.
    public var teacher: ModelArtifact?
    /// Opens a model artifact in the reference interpreter, encoded exactly as a float bundle of it would be.
    public var open: @Sendable (ModelArtifact) throws -> Interpreter
    /// The model file as the recipe names it, for messages.
    public var modelName: String
    /// The recipe pass being run (its config locations, for errors that point into the recipe).
    public var spec: PassSpec?

    public init(store: any BlobStore, threads: Int, samples: [[String: Tensor]] = [], teacher: ModelArtifact? = nil,
                open: @escaping @Sendable (ModelArtifact) throws -> Interpreter, modelName: String) {
        self.store = store
        self.threads = max(1, threads)
        self.samples = samples
        self.teacher = teacher
        self.open = open
        self.modelName = modelName
    }

    /// The per-tensor context over the same store.
    public var tensorContext: PassContext { PassContext(store: store, threads: threads) }
}

/// The result of a model pass.
public struct ModelPassOutput: Sendable {
    public var artifact: ModelArtifact
    public var report: PassReport
    public init(artifact: ModelArtifact, report: PassReport) {
        self.artifact = artifact
        self.report = report
    }
}

extension PassRegistry {
    /// The model pass for a recipe pass, or nil when the pass works tensor by tensor (`pass(for:)`).
    public static func modelPass(for spec: PassSpec) -> (any ModelPass)? {
        switch spec.config {
        case .fold(let c): return FoldPass(id: spec.id, config: c)
        case .lowrank(let c): return LowRankPass(id: spec.id, config: c)
        case .distill(let c): return DistillPass(id: spec.id, config: c)
        case .gptq(let c): return GPTQPass(id: spec.id, config: c)
        case .mixedPrecision(let c): return MixedPrecisionPass(id: spec.id, config: c)
        case .prune(let c) where c.structure == .channels: return ChannelPrunePass(id: spec.id, config: c)

        default: return nil
        }
    }
}
