/// A weight quantized by pare's kernels, in pare's matrix view, ready to be written into an ONNX graph.
///
/// The matrix view: the tensor of `shape` is transposed so that `axis` comes first (see
/// ``ONNXLayout/matrixView(shape:axis:)``), then seen as rows × cols with rows = `shape[axis]` (output channels)
/// and cols = the product of the other dimensions. Row r holds the elements of output channel r.
///
/// - `data`: 8-bit types one byte per element, row-major (int8 as its two's-complement bit pattern); 4-bit types
///   packed per row into (cols+1)/2 bytes, element c of a row in byte c/2, even c in the low nibble, int4
///   nibbles two's complement, a padding nibble of an odd row ignored.
/// - `scales`: 1 (per-tensor), rows (per-channel) or rows·(cols/group) (per-group, row-major: all groups of
///   row 0, then row 1, ...); finite and > 0.
/// - `zeroPoints`: as many as scales; integers in the type's range (0 for signed symmetric, 128 / 8 for
///   unsigned symmetric), or any finite values when fractional (``hasFractionalZeroPoints``, from `fit: mse`).
///
/// Dequantization (what the encoded graph computes): `x̂ = (Float(q) − zp) · scale`. Fractional zero points
/// have no DequantizeLinear form (its zero point has the codes' integer type): they are written as MatMulNBits
/// (float zero points of the scales' type) or the Cast/Sub/Mul form.
public struct ONNXQuantizedWeight: Sendable, Hashable {
    /// "int8", "uint8", "int4" or "uint4".
    public var dtype: String
    /// "per-tensor", "per-channel" or "per-group".
    public var granularity: String
    /// Elements per group (per-group only; ignored otherwise). Must divide cols.
    public var group: Int
    /// Whether the quantizer was symmetric (informational: the zero points are what counts).
    public var symmetric: Bool
    /// The axis of `shape` that became the rows of the matrix view (the output-channel axis).
    public var axis: Int
    /// The weight's shape in the ONNX model (original layout).
    public var shape: [Int]
    public var data: [UInt8]
    public var scales: [Float]
    public var zeroPoints: [Float]

    public init(dtype: String, granularity: String, group: Int = 0, symmetric: Bool, axis: Int, shape: [Int],
                data: [UInt8], scales: [Float], zeroPoints: [Float]) {
        self.dtype = dtype
        self.granularity = granularity
        self.group = group
        self.symmetric = symmetric
        self.axis = axis
        self.shape = shape
        self.data = data
        self.scales = scales
        self.zeroPoints = zeroPoints
    }

    /// Whether any zero point is not an integer.
    public var hasFractionalZeroPoints: Bool { zeroPoints.contains { $0 != $0.rounded() } }

    /// Bits per element: 8 or 4.
    public var bits: Int { dtype.hasSuffix("4") ? 4 : 8 }

    /// Whether the codes are signed (int8 / int4).
    public var isSigned: Bool { dtype.hasPrefix("int") }

    /// The code range of the type: int8 [−128, 127], uint8 [0, 255], int4 [−8, 7], uint4 [0, 15].
    public var codeRange: ClosedRange<Int32> {
        switch dtype {
        case "int8": return -128...127
        case "uint8": return 0...255
        case "int4": return -8...7
        default: return 0...15
        }
    }

    /// The ONNX element type of the codes.
    var onnxType: Int32 {
        switch dtype {
        case "int8": return ONNXEncodeProto.int8
        case "uint8": return ONNXEncodeProto.uint8
        case "int4": return ONNXEncodeProto.int4
        default: return ONNXEncodeProto.uint4
        }
    }

    /// Number of scales the granularity needs for a rows × cols view.
    func blockCount(rows: Int, cols: Int) -> Int {
        switch granularity {
        case "per-tensor": return 1
        case "per-channel": return rows
        default: return group > 0 ? rows * (cols / group) : 0
        }
    }

    /// Checks every documented invariant; the error names `file` and `name` and says what is wrong.
    public func validate(name: String, file: String) throws {
        func fail(_ m: String) -> FormatError { FormatError(file: file, tensor: name, message: m) }
        guard ["int8", "uint8", "int4", "uint4"].contains(dtype) else {
            throw fail("quantized dtype '\(dtype)' is not one of int8, uint8, int4, uint4")
        }
        guard ["per-tensor", "per-channel", "per-group"].contains(granularity) else {
            throw fail("granularity '\(granularity)' is not one of per-tensor, per-channel, per-group")
        }
        guard shape.allSatisfy({ $0 > 0 }) else { throw fail("shape \(shape) has a dimension that is not positive") }
        guard shape.isEmpty ? axis == 0 : (0..<shape.count).contains(axis) else {
            throw fail("axis \(axis) is out of range for shape \(shape)")
        }
        let (rows, cols, _) = ONNXLayout.matrixView(shape: shape, axis: axis)
        if granularity == "per-group" {
            guard group > 0, cols % group == 0 else {
                throw fail("group size \(group) must be positive and divide the \(cols) columns of the matrix view "
                           + "(shape \(shape), axis \(axis)); pick a group size that divides \(cols)")
            }
        }
        let rowBytes = bits == 8 ? cols : (cols + 1) / 2
        guard data.count == rows * rowBytes else {
            throw fail("holds \(data.count) bytes of codes but a \(rows) × \(cols) \(dtype) matrix needs \(rows * rowBytes)")
        }
        let blocks = blockCount(rows: rows, cols: cols)
        guard scales.count == blocks else {
            throw fail("has \(scales.count) scales but \(granularity)\(granularity == "per-group" ? " \(group)" : "") "
                       + "on a \(rows) × \(cols) matrix needs \(blocks)")
        }
        guard zeroPoints.count == blocks else {
            throw fail("has \(zeroPoints.count) zero points but needs \(blocks) (one per scale)")
        }
        if let i = scales.firstIndex(where: { !$0.isFinite || $0 <= 0 }) {
            throw fail("scale #\(i) is \(scales[i]); scales must be finite and positive")
        }
        if let i = zeroPoints.firstIndex(where: { !$0.isFinite }) {
            throw fail("zero point #\(i) is \(zeroPoints[i]); zero points must be finite")
        }
        let range = Float(codeRange.lowerBound)...Float(codeRange.upperBound)
        if !hasFractionalZeroPoints, let i = zeroPoints.firstIndex(where: { !range.contains($0) }) {
            throw fail("zero point #\(i) is \(Int(zeroPoints[i])), outside the \(dtype) range \(codeRange.lowerBound)...\(codeRange.upperBound)")
        }
    }
}
