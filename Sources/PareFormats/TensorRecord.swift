import PareBasics
import PareTensor

/// One tensor of a model artifact: its logical name, dtype and shape, and where its bytes live in the
/// content store. Tensors are separate blobs so that unchanged tensors are shared and reused.
public struct TensorRecord: Sendable, Hashable, Codable {
    /// The tensor's name in the model.
    public var name: String
    /// The stored element type (float32, float16, bfloat16, int8, uint8, int4, uint4, ...).
    public var dtype: DType
    /// The logical shape (for quantized tensors, the shape of the original weight).
    public var shape: Shape
    /// The blob holding the stored elements (int4/uint4 packed per row, see `QuantEncoding`).
    public var digest: Digest
    /// Size of that blob.
    public var byteCount: Int
    /// Present when the tensor is quantized: scheme and the blobs of its scales and zero points.
    public var quant: QuantEncoding?
    /// Present when the tensor is palettized: `digest` holds the indices and this the look-up table.
    public var palette: PaletteEncoding?
    /// The tensor as it was in the source model (blob digest and dtype), for error statistics and provenance.
    public var origin: Digest
    public var originDType: DType
    /// Passes that changed this tensor, in order (pass ids).
    public var passes: [String]
    /// Number of elements equal to zero after the last pass that measured it (pruning), if measured.
    public var zeros: Int?
    /// Error of the current value against the source tensor, if any pass changed it.
    public var error: TensorError?

    public init(name: String, dtype: DType, shape: Shape, digest: Digest, byteCount: Int, origin: Digest, originDType: DType) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.digest = digest
        self.byteCount = byteCount
        self.origin = origin
        self.originDType = originDType
        self.passes = []
    }

    /// Every blob this record refers to.
    public var blobs: [Digest] {
        var out = [digest]
        if let q = quant {
            out.append(q.scale)
            if let z = q.zeroPoint { out.append(z) }
        }
        if let p = palette { out.append(p.table) }
        return out
    }

    /// Total stored bytes, including scales and zero points.
    public var storedBytes: Int {
        byteCount + (quant.map { $0.scaleBytes + $0.zeroPointBytes } ?? 0) + (palette.map { $0.tableBytes } ?? 0)
    }
}

/// Error statistics of a tensor against its source: max |x − x̂|, root-mean-square error, signal RMS, and
/// SQNR = 20·log10(signal RMS / RMSE) in dB (+inf when the error is exactly zero).
public struct TensorError: Sendable, Hashable, Codable {
    public var maxAbs: Double
    public var rmse: Double
    public var signalRMS: Double
    public var sqnrDB: Double
    public init(maxAbs: Double, rmse: Double, signalRMS: Double, sqnrDB: Double) {
        self.maxAbs = maxAbs
        self.rmse = rmse
        self.signalRMS = signalRMS
        self.sqnrDB = sqnrDB
    }
}

/// How a quantized tensor is encoded; dequantization is x̂ = (q − zero_point) · scale per block.
public struct QuantEncoding: Sendable, Hashable, Codable {
    public enum Granularity: String, Sendable, Hashable, Codable { case perTensor = "per-tensor", perChannel = "per-channel", perGroup = "per-group" }
    /// int8, uint8, int4 or uint4.
    public var dtype: DType
    public var granularity: Granularity
    /// Group size along a row for per-group; 0 otherwise.
    public var group: Int
    public var symmetric: Bool
    /// The matrix view: rows = the channel axis (`axis`, default the first dimension), cols = product of the rest.
    public var rows: Int
    public var cols: Int
    /// The original tensor's axis that became the rows; nil means 0. When it is not 0 the stored codes are in the
    /// permuted layout (that axis moved to the front, other axes in order).
    public var axis: Int?
    /// float32 scales, one per block, row-major.
    public var scale: Digest
    /// Shape of the scale (and zero-point) tensors: [1], [rows] or [rows, cols/group].
    public var scaleShape: Shape
    /// Zero points (int8 for signed types, uint8 for unsigned, float32 for fractional ones), nil when all are zero
    /// for a signed symmetric scheme.
    public var zeroPoint: Digest?
    /// How the parameters were fitted when not `minmax`: "mse". With `symmetric` false the zero points are
    /// fractional float32 values.
    public var fit: String?

    public init(dtype: DType, granularity: Granularity, group: Int, symmetric: Bool, rows: Int, cols: Int, axis: Int? = nil, scale: Digest, scaleShape: Shape, zeroPoint: Digest?, fit: String? = nil) {
        self.fit = fit
        self.axis = axis
        self.dtype = dtype
        self.granularity = granularity
        self.group = group
        self.symmetric = symmetric
        self.rows = rows
        self.cols = cols
        self.scale = scale
        self.scaleShape = scaleShape
        self.zeroPoint = zeroPoint
    }

    public var blockCount: Int { scaleShape.elementCount ?? 0 }
    public var scaleBytes: Int { blockCount * 4 }
    public var zeroPointBytes: Int { zeroPoint == nil ? 0 : blockCount * (hasFractionalZeroPoints ? 4 : 1) }
    /// Whether zero points are fractional (stored as float32): an asymmetric `fit: mse` scheme.
    public var hasFractionalZeroPoints: Bool { fit == "mse" && !symmetric }
    /// The dtype zero points are stored in.
    public var zeroPointDType: DType {
        hasFractionalZeroPoints ? .float32 : (dtype == .int8 || dtype == .int4 ? .int8 : .uint8)
    }
}
