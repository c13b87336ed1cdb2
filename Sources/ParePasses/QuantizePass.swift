import PareBasics
import PareFormats
import PareKernels
import PareRecipe
import PareTensor

/// `quantize`: weight-only integer quantization (int8, uint8, int4, uint4; per-tensor, per-channel or
/// per-group; symmetric or not), with the rounding rule of `Quantizer` (round half to even).
public struct QuantizePass: WeightPass {
    public static let name = "quantize"
    public static let version = 1
    public let id: String
    public let config: QuantizeConfig

    public init(id: String, config: QuantizeConfig) {
        self.id = id
        self.config = config
    }

    public func parameters(for model: ModelArtifact, context: PassContext) throws -> [String: TensorParameters] {
        var out: [String: TensorParameters] = [:]
        let axes = try context.channelAxes(model)
        for t in model.tensors where t.isSelected(by: config.selection)
            || (config.requantize && t.palette != nil && config.selection.selects(name: t.name, dims: t.shape.dims)) {
            if let s = config.scheme(for: t.name) { out[t.name] = .quantize(s, axis: axes[t.name] ?? 0) }
        }
        return out
    }

    public func apply(_ record: TensorRecord, parameters: TensorParameters, context: PassContext) throws -> TensorRecord {
        guard case .quantize(let spec, let axis) = parameters else { preconditionFailure("quantize got \(parameters)") }
        let scheme = QuantizePass.kernelScheme(spec)
        // The matrix view: rows are the output channels (`axis` moved to the front when it is not already).
        let (outer, rows, inner) = Layout.split(record.shape.dims, axis: axis)
        let cols = outer * inner
        // A palettized weight (with `requantize`) is quantized from its look-up-table values.
        let input = record.palette != nil ? try context.paletteValues(of: record) : try context.floats(of: record)
        // The input in the matrix view (moved only when the channel axis is not the first).
        var moved: [Float] = []
        let q: QuantizedMatrix = try input.withBuffer { x in
            if let bad = FiniteCheck.firstNonFinite(x) {
                throw PassError(tensor: record.name, message: "has a non-finite value (NaN or Inf) at element \(bad); fix the source model")
            }
            if axis == 0 { return Quantizer.fast(x, rows: rows, cols: cols, scheme: scheme, threads: context.threads) }
            moved = Layout.moveAxisToFront(x, outer: outer, mid: rows, inner: inner)
            return moved.withUnsafeBufferPointer { Quantizer.fast($0, rows: rows, cols: cols, scheme: scheme, threads: context.threads) }
        }
        // Error against the source tensor (the input itself when no earlier pass changed it).
        let stats: ErrorStats
        if axis == 0 || record.digest != record.origin {
            let origin = try context.origin(of: record)
            stats = origin.withBuffer { o in
                if axis == 0 { return ErrorMetrics.quantizationError(original: o, quantized: q, scheme: scheme, threads: context.threads) }
                let m = Layout.moveAxisToFront(o, outer: outer, mid: rows, inner: inner)
                return m.withUnsafeBufferPointer { ErrorMetrics.quantizationError(original: $0, quantized: q, scheme: scheme, threads: context.threads) }
            }
        } else {
            stats = moved.withUnsafeBufferPointer { ErrorMetrics.quantizationError(original: $0, quantized: q, scheme: scheme, threads: context.threads) }
        }

        return try QuantizePass.encodedRecord(record, q: q, spec: spec, axis: axis, stats: stats, passID: id, store: context.store)
    }

    /// The kernel's scheme for a recipe scheme.
    public static func kernelScheme(_ s: WeightQuantSpec) -> QuantScheme {
        let type: WeightType
        switch s.dtype {
        case .int8: type = .int8
        case .uint8: type = .uint8
        case .int4: type = .int4
        case .uint4: type = .uint4
        }
        let g: QuantGranularity
        switch s.granularity {
        case .perTensor: g = .perTensor
        case .perChannel: g = .perChannel
        case .perGroup: g = .perGroup(s.group)
        }
        return QuantScheme(type: type, granularity: g, symmetric: s.symmetric, fit: s.fit == .mse ? .mse : .minmax)
    }

    public static func dtype(_ d: WeightDType) -> DType {
        switch d {
        case .int8: return .int8
        case .uint8: return .uint8
        case .int4: return .int4
        case .uint4: return .uint4
        }
    }

    /// Stored bytes of a tensor quantized with `spec` (data + scales + zero points), for size estimates.
    public static func storedBytes(rows: Int, cols: Int, spec: WeightQuantSpec) -> Int {
        let bits = spec.dtype == .int8 || spec.dtype == .uint8 ? 8 : 4
        let data = bits == 8 ? rows * cols : rows * ((cols + 1) / 2)
        let blocks: Int
        switch spec.granularity {
        case .perTensor: blocks = 1
        case .perChannel: blocks = rows
        case .perGroup: blocks = rows * (cols / max(spec.group, 1))
        }
        var zp = (!spec.symmetric || spec.dtype == .uint8 || spec.dtype == .uint4) ? blocks : 0
        if spec.fit == .mse && !spec.symmetric { zp = blocks * 4 }
        return data + blocks * 4 + zp
    }
}
