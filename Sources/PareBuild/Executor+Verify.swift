import Foundation
import PareBasics
import PareFormats
import PareKernels
import ParePasses
import PareRecipe
import PareTensor

extension Executor {
    /// Checks that every N:M-pruned weight still has its pattern in the model about to be bundled (after
    /// quantization or casting, a pruned zero must still decode to exactly zero). A violation is a pare bug,
    /// reported instead of shipping a bundle that the target's sparse kernels would reject.
    func verifySparsityPatterns(_ model: ModelArtifact, target: String) throws {
        let patterns = plan.recipe.passes(for: target).compactMap { spec -> (TensorSelection, NMPattern)? in
            if case .prune(let p) = spec.config, let nm = p.pattern { return (p.selection, nm) }
            return nil
        }
        guard !patterns.isEmpty else { return }
        for t in model.tensors {
            guard let (_, nm) = patterns.first(where: { $0.0.selects(name: t.name, dims: t.shape.dims) && t.originDType.isFloatingPoint }) else { continue }
            let values = try effectiveValues(t)
            let (rows, cols) = t.shape.matrix
            let ok = values.withUnsafeBufferPointer { Pruning.satisfiesNM($0, rows: rows, cols: cols, n: nm.n, m: nm.m) }
            if !ok {
                throw BuildError(step: "bundle@\(target)", message: "tensor '\(t.name)' lost its \(nm) sparsity pattern after its passes; this is a bug in pare — please report it with the recipe")
            }
        }
    }

    /// The float32 values a stored tensor decodes to, in its original layout.
    func effectiveValues(_ t: TensorRecord) throws -> [Float] {
        let data = try cache.store.data(t.digest)
        if let q = t.quant {
            let (scales, zps) = try cache.store.scalesAndZeroPoints(of: q)
            let spec = WeightQuantSpec(dtype: WeightDType(rawValue: q.dtype.rawValue)!, granularity: WeightGranularity(rawValue: q.granularity.rawValue)!,
                                       group: q.group == 0 ? 32 : q.group, symmetric: q.symmetric,
                                       fit: q.fit.flatMap(WeightFit.init(rawValue:)) ?? .minmax)
            let matrix = QuantizedMatrix(rows: q.rows, cols: q.cols, data: [UInt8](data), scales: scales, zeroPoints: zps)
            let x = Quantizer.dequantize(matrix, scheme: QuantizePass.kernelScheme(spec))
            guard let axis = q.axis, axis > 0 else { return x }
            let (outer, mid, inner) = Layout.split(t.shape.dims, axis: axis)
            return x.withUnsafeBufferPointer { Layout.moveFrontAxisBack($0, outer: outer, mid: mid, inner: inner) }
        }
        switch t.dtype {
        case .float32: return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        case .float16: return data.withUnsafeBytes { HalfPrecision.fromFloat16($0.bindMemory(to: UInt16.self)) }
        case .bfloat16: return data.withUnsafeBytes { HalfPrecision.fromBFloat16($0.bindMemory(to: UInt16.self)) }
        default: return []
        }
    }
}
