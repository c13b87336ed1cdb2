import PareONNXProto

extension ONNXLayout {
    /// The inputs and attributes of one `DequantizeLinear` node that reproduces a quantized weight, plus the
    /// optional `Reshape` / `Transpose` that follow it when the weight's groups do not lie along one axis.
    ///
    /// The node computes `y = (x − x_zero_point) · x_scale` with the scale (and zero point) broadcast per
    /// tensor, per `axis`, or per block of `blockSize` elements along `axis` (opset-21 blocked quantization).
    public struct DequantizeLinearForm: Sendable {
        /// The codes: INT8, UINT8, INT4 or UINT4 (4-bit packed two per byte over the flat element order, first
        /// element in the low nibble).
        public var x: Onnx_TensorProto
        /// FLOAT (or FLOAT16) scales: 0-d per tensor, [C] per channel, or x's shape with the blocked dimension
        /// divided by `blockSize`.
        public var scale: Onnx_TensorProto
        /// Same shape as `scale`, same type as `x`; nil when every zero point is 0 (ONNX's default).
        public var zeroPoint: Onnx_TensorProto?
        /// The `axis` attribute (per-channel and blocked forms).
        public var axis: Int?
        /// The `block_size` attribute (blocked form).
        public var blockSize: Int?
        /// When set, the DequantizeLinear output (a rows × cols matrix) is reshaped to this shape …
        public var reshape: [Int]?
        /// … and then transposed with this permutation, which gives the weight's original layout.
        public var transpose: [Int]?
        /// The lowest ai.onnx opset whose DequantizeLinear accepts this form: 10 (8-bit per tensor), 13 (8-bit
        /// per axis), 19 (FLOAT16 scales), 21 (4-bit types or `block_size`).
        public var minimumOpset: Int
    }

    /// The fallback for opsets whose DequantizeLinear cannot express a weight: integer codes, `Cast` to the
    /// float type, `Sub` the zero point (when any is non-zero) and `Mul` by a scale that broadcasts per tensor,
    /// per channel or per group. Valid from opset 7 (4-bit codes are widened to 8 bits: INT4 needs IR 10).
    public struct CastMulForm: Sendable {
        /// INT8 (int8/int4 codes, sign-extended) or UINT8 (uint8/uint4 codes).
        public var q: Onnx_TensorProto
        /// Scales shaped to broadcast against `q`.
        public var scale: Onnx_TensorProto
        /// Zero points as floats of the scale's type, shaped like `scale`; nil when all are 0.
        public var zeroPoint: Onnx_TensorProto?
        /// Reshape of the product to this shape, then `transpose`, as in ``DequantizeLinearForm``.
        public var reshape: [Int]?
        public var transpose: [Int]?
    }

    /// The DequantizeLinear form of `w` (validated first). Per-tensor and per-channel codes are transposed back
    /// to the original layout (`axis` = the channel axis). Per-group codes use blocked quantization along the
    /// single original axis their groups lie in when G divides that axis' length (a [K, N] MatMul weight grouped
    /// along K: `axis` 0, scales [K/G, N]); otherwise (e.g. a Conv weight [O, I, 3, 3] with groups over I·3·3)
    /// the codes stay a rows × cols matrix blocked along axis 1, followed by Reshape (and Transpose).
    /// - Parameter scaleType: FLOAT (default) or FLOAT16 (for float16 compute; needs opset 19).
    public static func dequantizeLinear(_ w: ONNXQuantizedWeight, name: String = "weight", file: String = "model",
                                        scaleType: Int32 = 1) throws -> DequantizeLinearForm {
        try w.validate(name: name, file: file)
        guard !w.hasFractionalZeroPoints else {
            throw FormatError(file: file, tensor: name, message: "has fractional zero points, which DequantizeLinear cannot hold; use the MatMulNBits or Cast/Sub/Mul form")
        }
        let (rows, cols, perm) = matrixView(shape: w.shape, axis: w.axis)
        let codes = matrixCodes(w, rows: rows, cols: cols)
        let permuted = perm.map { permutedShape(w.shape, $0) } ?? w.shape
        let original = { (v: [UInt8]) -> [UInt8] in perm.map { inverseTranspose(v, shape: w.shape, permutation: $0) } ?? v }
        func codesTensor(_ v: [UInt8], dims: [Int]) -> Onnx_TensorProto {
            ONNXEncodeProto.tensor(type: w.onnxType, dims: dims, raw: w.bits == 8 ? v : packNibbles(v))
        }
        func zeroPoints(_ z: [Float], dims: [Int]) -> Onnx_TensorProto? {
            z.allSatisfy({ $0 == 0 }) ? nil : codesTensor(z.map { UInt8(truncatingIfNeeded: Int32($0)) & (w.bits == 8 ? 0xFF : 0x0F) }, dims: dims)
        }
        let scales = { (v: [Float], dims: [Int]) in ONNXEncodeProto.floats(type: scaleType, dims: dims, v) }
        let fp16 = scaleType == ONNXEncodeProto.float16
        switch w.granularity {
        case "per-tensor", "per-channel":
            let perTensor = w.granularity == "per-tensor"
            let dims = perTensor || w.shape.isEmpty ? [] : [rows]
            var opset = w.bits == 4 ? 21 : (perTensor ? 10 : 13)
            if fp16 { opset = max(opset, 19) }
            return DequantizeLinearForm(
                x: codesTensor(original(codes), dims: w.shape), scale: scales(w.scales, dims),
                zeroPoint: zeroPoints(w.zeroPoints, dims: dims), axis: perTensor || w.shape.isEmpty ? nil : w.axis,
                blockSize: nil, reshape: nil, transpose: nil, minimumOpset: opset)
        default:
            let g = w.group
            if w.shape.count >= 2, permuted[permuted.count - 1] % g == 0 {
                // Groups tile the innermost permuted axis, which is original axis `b`.
                let b = perm?.last ?? w.shape.count - 1
                var scaleDims = w.shape
                scaleDims[b] /= g
                let back = { (v: [Float]) -> [Float] in perm.map { inverseTranspose(v, shape: scaleDims, permutation: $0) } ?? v }
                return DequantizeLinearForm(
                    x: codesTensor(original(codes), dims: w.shape), scale: scales(back(w.scales), scaleDims),
                    zeroPoint: zeroPoints(back(w.zeroPoints), dims: scaleDims), axis: b, blockSize: g,
                    reshape: nil, transpose: nil, minimumOpset: 21)
            }
            let scaleDims = [rows, cols / g]
            return DequantizeLinearForm(
                x: codesTensor(codes, dims: [rows, cols]), scale: scales(w.scales, scaleDims),
                zeroPoint: zeroPoints(w.zeroPoints, dims: scaleDims), axis: 1, blockSize: g,
                reshape: permuted == [rows, cols] ? nil : permuted, transpose: perm.map(inverse), minimumOpset: 21)
        }
    }

    /// The Cast/Sub/Mul fallback form of `w` (validated first).
    /// - Parameter floatType: FLOAT (default) or FLOAT16: the type of the scale, zero point and result.
    public static func castMul(_ w: ONNXQuantizedWeight, name: String = "weight", file: String = "model",
                               floatType: Int32 = 1) throws -> CastMulForm {
        try w.validate(name: name, file: file)
        let (rows, cols, perm) = matrixView(shape: w.shape, axis: w.axis)
        var codes = matrixCodes(w, rows: rows, cols: cols)
        if w.bits == 4 { codes = widenNibbles(codes, signed: w.isSigned) }
        let qType = w.isSigned ? ONNXEncodeProto.int8 : ONNXEncodeProto.uint8
        let permuted = perm.map { permutedShape(w.shape, $0) } ?? w.shape
        let zeros = w.zeroPoints.allSatisfy { $0 == 0 }
        func floats(_ v: [Float], _ dims: [Int]) -> Onnx_TensorProto { ONNXEncodeProto.floats(type: floatType, dims: dims, v) }
        switch w.granularity {
        case "per-tensor", "per-channel":
            let xCodes = perm.map { inverseTranspose(codes, shape: w.shape, permutation: $0) } ?? codes
            var dims = [Int](repeating: 1, count: w.shape.count)
            if w.granularity == "per-tensor" { dims = [] } else if !dims.isEmpty { dims[w.axis] = rows }
            return CastMulForm(q: ONNXEncodeProto.tensor(type: qType, dims: w.shape, raw: xCodes),
                               scale: floats(w.scales, dims), zeroPoint: zeros ? nil : floats(w.zeroPoints, dims),
                               reshape: nil, transpose: nil)
        default:
            let groups = cols / w.group
            let dims = [rows, groups, 1]
            return CastMulForm(q: ONNXEncodeProto.tensor(type: qType, dims: [rows, groups, w.group], raw: codes),
                               scale: floats(w.scales, dims), zeroPoint: zeros ? nil : floats(w.zeroPoints, dims),
                               reshape: permuted, transpose: perm.map(inverse))
        }
    }
}
