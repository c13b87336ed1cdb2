import PareBasics
import PareFormats
import PareKernels
import PareRecipe
import PareTensor

/// A weight transformation applied tensor by tensor.
///
/// A pass first resolves, for the whole model, the parameters of each tensor it changes (`parameters`); each
/// tensor is then a pure function of (input tensor, parameters), so the build caches and reuses it on its own.
public protocol WeightPass: Sendable {
    /// The pass name used in recipes.
    static var name: String { get }
    /// Bumped whenever the pass's output for the same input and parameters changes.
    static var version: Int { get }
    /// The pass's step id in the recipe.
    var id: String { get }
    /// Tensors it changes → their parameters. Tensors not in the result pass through unchanged.
    func parameters(for model: ModelArtifact, context: PassContext) throws -> [String: TensorParameters]
    /// The new record of one tensor.
    func apply(_ record: TensorRecord, parameters: TensorParameters, context: PassContext) throws -> TensorRecord
}

/// Version of the numeric kernels; part of every cache key, bumped when a kernel's output changes.
public let kernelVersion = 1

/// Builds the pass for a recipe pass.
public enum PassRegistry {
    /// The tensor-by-tensor pass for a recipe pass, or nil for a model pass (`modelPass(for:)`).
    public static func pass(for spec: PassSpec) -> (any WeightPass)? {
        switch spec.config {
        case .quantize(let c): return QuantizePass(id: spec.id, config: c)
        case .cast(let c): return CastPass(id: spec.id, config: c)
        case .palettize(let c): return PalettizePass(id: spec.id, config: c, bitsLocation: spec.location(of: "bits"))
        case .prune(let c) where c.structure == .weights: return PrunePass(id: spec.id, config: c)
        default: return nil
        }
    }

    /// The version of a pass (part of its cache keys).
    public static func version(of spec: PassSpec) -> Int {
        if let m = modelPass(for: spec) { return type(of: m).version }
        if let w = pass(for: spec) { return type(of: w).version }
        return 0
    }
}

extension TensorRecord {
    /// Whether a tensor selection applies to this tensor (float tensors only).
    public func isSelected(by selection: TensorSelection) -> Bool {
        dtype.isFloatingPoint && quant == nil && palette == nil && selection.selects(name: name, dims: shape.dims)
    }
}

extension TensorError {
    init(_ s: ErrorStats) {
        self.init(maxAbs: s.maxAbs, rmse: s.rmse, signalRMS: s.signalRMS, sqnrDB: s.sqnrDB)
    }
}
