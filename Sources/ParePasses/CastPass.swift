import PareBasics
import PareFormats
import PareKernels
import PareRecipe
import PareTensor

/// `cast`: float weights to float16 or bfloat16, round to nearest even (see `HalfPrecision`).
public struct CastPass: WeightPass {
    public static let name = "cast"
    public static let version = 1
    public let id: String
    public let config: CastConfig

    public init(id: String, config: CastConfig) {
        self.id = id
        self.config = config
    }

    public func parameters(for model: ModelArtifact, context: PassContext) throws -> [String: TensorParameters] {
        var out: [String: TensorParameters] = [:]
        for t in model.tensors where t.isSelected(by: config.selection) { out[t.name] = .cast(config.dtype) }
        return out
    }

    public func apply(_ record: TensorRecord, parameters: TensorParameters, context: PassContext) throws -> TensorRecord {
        guard case .cast(let dtype) = parameters else { preconditionFailure("cast got \(parameters)") }
        let input = try context.floats(of: record)
        let halves: [UInt16] = input.withBuffer { x in
            dtype == .fp16 ? HalfPrecision.toFloat16(x, threads: context.threads) : HalfPrecision.toBFloat16(x, threads: context.threads)
        }
        let back = halves.withUnsafeBufferPointer { dtype == .fp16 ? HalfPrecision.fromFloat16($0) : HalfPrecision.fromBFloat16($0) }
        let origin = try context.origin(of: record)
        let stats = origin.withBuffer { o in back.withUnsafeBufferPointer { ErrorMetrics.compare(original: o, reconstructed: $0, threads: context.threads) } }
        var out = record
        out.dtype = dtype == .fp16 ? .float16 : .bfloat16
        out.digest = try context.store.put(halves)
        out.byteCount = halves.count * 2
        out.passes.append(id)
        out.error = TensorError(stats)
        return out
    }
}
