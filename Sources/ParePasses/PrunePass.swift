import PareBasics
import PareFormats
import PareKernels
import PareRecipe
import PareTensor

/// `prune`: magnitude pruning, unstructured (per-tensor or global sparsity) or N:M structured.
/// Pruned weights stay dense (zeros); the tensor keeps its float dtype (float16/bfloat16 stay exact).
public struct PrunePass: WeightPass {
    public static let name = "prune"
    public static let version = 1
    public let id: String
    public let config: PruneConfig

    public init(id: String, config: PruneConfig) {
        self.id = id
        self.config = config
    }

    public func parameters(for model: ModelArtifact, context: PassContext) throws -> [String: TensorParameters] {
        let selected = model.tensors.filter { $0.isSelected(by: config.selection) }
        var out: [String: TensorParameters] = [:]
        if let p = config.pattern {
            for t in selected { out[t.name] = .pruneNM(p) }
        } else if let s = config.sparsity {
            switch config.scope {
            case .perTensor:
                for t in selected { out[t.name] = .pruneMagnitude(sparsity: s) }
            case .global:
                // The threshold depends on every selected tensor: read them all (mapped), plan, then each
                // tensor is pruned on its own with its share of the plan.
                let values = try selected.map { try context.floats(of: $0) }
                let plans = withBuffers(values) { Pruning.globalPlans($0, sparsity: s, threads: context.threads) }
                for (t, plan) in zip(selected, plans) { out[t.name] = .pruneGlobal(threshold: plan.threshold, ties: plan.ties) }
            }
        }
        return out
    }

    public func apply(_ record: TensorRecord, parameters: TensorParameters, context: PassContext) throws -> TensorRecord {
        let (rows, cols) = record.shape.matrix
        let input = try context.floats(of: record)
        let pruned: [Float] = input.withBuffer { x in
            switch parameters {
            case .pruneMagnitude(let s): return Pruning.magnitude(x, sparsity: s, threads: context.threads)
            case .pruneGlobal(let t, let ties): return Pruning.apply(x, plan: Pruning.GlobalPlan(threshold: t, ties: ties))
            case .pruneNM(let p): return Pruning.nm(x, rows: rows, cols: cols, n: p.n, m: p.m, threads: context.threads)
            default: preconditionFailure("prune got \(parameters)")
            }
        }
        let origin = try context.origin(of: record)
        let stats = origin.withBuffer { o in pruned.withUnsafeBufferPointer { ErrorMetrics.compare(original: o, reconstructed: $0, threads: context.threads) } }
        var out = record
        switch record.dtype {
        case .float16:
            let h = pruned.withUnsafeBufferPointer { HalfPrecision.toFloat16($0, threads: context.threads) }
            out.digest = try context.store.put(h); out.byteCount = h.count * 2
        case .bfloat16:
            let h = pruned.withUnsafeBufferPointer { HalfPrecision.toBFloat16($0, threads: context.threads) }
            out.digest = try context.store.put(h); out.byteCount = h.count * 2
        default:
            out.dtype = .float32
            out.digest = try context.store.put(pruned); out.byteCount = pruned.count * 4
        }
        out.zeros = pruned.withUnsafeBufferPointer { Pruning.zeroCount($0) }
        out.passes.append(id)
        out.error = TensorError(stats)
        return out
    }
}

/// Calls `body` with the buffers of all values at once.
func withBuffers<R>(_ values: [FloatValues], _ body: ([UnsafeBufferPointer<Float>]) throws -> R) rethrows -> R {
    var buffers: [UnsafeBufferPointer<Float>] = []
    func go(_ i: Int) throws -> R {
        if i == values.count { return try body(buffers) }
        return try values[i].withBuffer { b in
            buffers.append(b)
            return try go(i + 1)
        }
    }
    return try go(0)
}
