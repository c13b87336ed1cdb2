import PareONNXProto

extension ONNXLayout {
    /// The inputs and attributes of an ONNX Runtime `com.microsoft.MatMulNBits` node (bits = 4) that replaces
    /// `MatMul(A, W)` for a [K, N] weight quantized per group of `blockSize` along K.
    ///
    /// MatMulNBits computes `Y = A · dequant(B)ᵀ` where `dequant(B)[n, k] = (q[n, k] − zp[n, k / block]) ·
    /// scale[n, k / block]` with unsigned 4-bit codes q and a default zero point of 8.
    public struct MatMulNBitsForm: Sendable {
        /// UINT8 [N, K/blockSize, blockSize/2]: row n of Wᵀ, codes packed two per byte, even k in the low nibble.
        public var b: Onnx_TensorProto
        /// FLOAT (or FLOAT16) [N·K/blockSize], row-major [n, block].
        public var scales: Onnx_TensorProto
        /// UINT8 [N·ceil((K/blockSize)/2)]: per row n, the block zero points packed two per byte (even block in
        /// the low nibble, a row's odd last byte padded with 0); nil when every zero point is 8 (the default).
        /// Fractional zero points are instead stored unpacked as [N·K/blockSize] of the scales' type.
        public var zeroPoints: Onnx_TensorProto?
        public var k: Int
        public var n: Int
        public var blockSize: Int
        public let bits = 4
    }

    /// Why `w` cannot become MatMulNBits inputs, or nil when it can: it must be a rank-2 [K, N] weight quantized
    /// int4/uint4 per group along K (axis 1 is the output channel), with a group size that is a power of two
    /// ≥ 16 and divides K.
    public static func matMulNBitsIncompatibility(_ w: ONNXQuantizedWeight) -> String? {
        guard w.shape.count == 2 else { return "it has rank \(w.shape.count), not 2" }
        guard w.bits == 4 else { return "it is \(w.dtype), not int4/uint4" }
        guard w.granularity == "per-group" else { return "it is quantized \(w.granularity), not per-group" }
        guard w.axis == 1 else { return "its channel axis is \(w.axis), not 1 (groups must run along K)" }
        let g = w.group
        guard g >= 16, g & (g - 1) == 0 else { return "group size \(g) is not a power of two ≥ 16" }
        guard w.shape[0] % g == 0 else { return "group size \(g) does not divide K = \(w.shape[0])" }
        return nil
    }

    /// The MatMulNBits form of `w` (validated first). pare's per-row packing of the [N, K] matrix view is
    /// already MatMulNBits' layout; int4 codes q become unsigned q + 8 (flipping the nibble's top bit) and their
    /// zero points z become z + 8.
    /// - Throws: `FormatError` when the weight is invalid or ``matMulNBitsIncompatibility(_:)`` gives a reason.
    public static func matMulNBits(_ w: ONNXQuantizedWeight, name: String = "weight", file: String = "model",
                                   scaleType: Int32 = 1) throws -> MatMulNBitsForm {
        try w.validate(name: name, file: file)
        if let why = matMulNBitsIncompatibility(w) {
            throw FormatError(file: file, tensor: name, message: "cannot become MatMulNBits inputs: \(why)")
        }
        let k = w.shape[0], n = w.shape[1], g = w.group
        let blocks = k / g
        let bytes = w.isSigned ? w.data.map { $0 ^ 0x88 } : w.data
        var zpTensor: Onnx_TensorProto?
        let zps = w.hasFractionalZeroPoints ? [] : w.zeroPoints.map { UInt8(Int32($0) + (w.isSigned ? 8 : 0)) }
        if w.hasFractionalZeroPoints {
            // Unsigned codes q + 8 for int4: the zero point moves by 8 as well, so (q − zp) is unchanged.
            let shifted = w.isSigned ? w.zeroPoints.map { $0 + 8 } : w.zeroPoints
            zpTensor = ONNXEncodeProto.floats(type: scaleType, dims: [n * blocks], shifted)
        } else if !zps.allSatisfy({ $0 == 8 }) {
            let perRow = (blocks + 1) / 2
            var packed = [UInt8](repeating: 0, count: n * perRow)
            for r in 0..<n {
                for j in 0..<blocks {
                    let z = zps[r * blocks + j] & 0x0F
                    packed[r * perRow + j / 2] |= j % 2 == 0 ? z : z << 4
                }
            }
            zpTensor = ONNXEncodeProto.tensor(type: ONNXEncodeProto.uint8, dims: [n * perRow], raw: packed)
        }
        return MatMulNBitsForm(
            b: ONNXEncodeProto.tensor(type: ONNXEncodeProto.uint8, dims: [n, blocks, g / 2], raw: bytes),
            scales: ONNXEncodeProto.floats(type: scaleType, dims: [n * blocks], w.scales),
            zeroPoints: zpTensor, k: k, n: n, blockSize: g)
    }
}
