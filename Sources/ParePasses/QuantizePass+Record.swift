import PareBasics
import PareFormats
import PareKernels
import PareRecipe
import PareTensor

extension QuantizePass {
    /// The tensor record of `record` stored as `q` (matrix view rows × cols of channel axis `axis`) with `spec`:
    /// the one code path every pass that emits integer weights uses (quantize, gptq, mixed-precision), so the
    /// bundle writer encodes them the same way.
    public static func encodedRecord(_ record: TensorRecord, q: QuantizedMatrix, spec: WeightQuantSpec, axis: Int,
                                     stats: ErrorStats, passID: String, store: any BlobStore) throws -> TensorRecord {
        let scheme = kernelScheme(spec)
        let rows = q.rows, cols = q.cols
        let dtype = QuantizePass.dtype(spec.dtype)
        let dataDigest = try store.put(q.data)
        let scaleDigest = try store.put(q.scales)
        let needsZeroPoint = !spec.symmetric || !scheme.type.isSigned
        let zpDigest: Digest?
        if scheme.hasFractionalZeroPoints {
            zpDigest = try store.put(q.zeroPoints)
        } else {
            zpDigest = needsZeroPoint ? try store.put(q.zeroPoints.map { UInt8(truncatingIfNeeded: Int32($0)) }) : nil
        }
        let scaleShape: Shape
        let granularity: QuantEncoding.Granularity
        switch spec.granularity {
        case .perTensor: scaleShape = [1]; granularity = .perTensor
        case .perChannel: scaleShape = [rows]; granularity = .perChannel
        case .perGroup: scaleShape = [rows, cols / spec.group]; granularity = .perGroup
        }
        var out = record
        out.palette = nil
        out.dtype = dtype
        out.digest = dataDigest
        out.byteCount = q.data.count
        out.quant = QuantEncoding(
            dtype: dtype, granularity: granularity, group: spec.granularity == .perGroup ? spec.group : 0,
            symmetric: spec.symmetric, rows: rows, cols: cols, axis: axis == 0 ? nil : axis, scale: scaleDigest, scaleShape: scaleShape, zeroPoint: zpDigest,
            fit: spec.fit == .minmax ? nil : spec.fit.rawValue)
        out.passes.append(passID)
        out.error = TensorError(stats)
        return out
    }
}
