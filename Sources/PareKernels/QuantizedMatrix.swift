/// The result of quantizing a rows × cols Float matrix with a ``QuantScheme``.
public struct QuantizedMatrix: Sendable, Equatable {
    public var rows: Int
    public var cols: Int
    /// 8-bit types: one byte per element, row-major (int8 stored as its two's-complement bit pattern).
    /// 4-bit types: each row packed into (cols+1)/2 bytes, element c of the row in byte c/2, even c in the low
    /// nibble (bits 0-3), odd c in the high nibble; a padding nibble of an odd row is 0. int4 nibbles are two's
    /// complement.
    public var data: [UInt8]
    /// Scale per block, block order row-major: count 1 (per-tensor), rows (per-channel), rows*(cols/G) (per-group).
    public var scales: [Float]
    /// Zero point per block (same count/order as scales): an integer in [qmin, qmax] of the type, or any finite
    /// Float for schemes with ``QuantScheme/hasFractionalZeroPoints``.
    public var zeroPoints: [Float]

    public init(rows: Int, cols: Int, data: [UInt8], scales: [Float], zeroPoints: [Float]) {
        self.rows = rows
        self.cols = cols
        self.data = data
        self.scales = scales
        self.zeroPoints = zeroPoints
    }

    /// Bytes per row of `data` for a given element type: `cols` for 8-bit types, `(cols + 1) / 2` for 4-bit ones.
    public static func rowBytes(cols: Int, type: WeightType) -> Int {
        type.bits == 8 ? cols : (cols + 1) / 2
    }
}
