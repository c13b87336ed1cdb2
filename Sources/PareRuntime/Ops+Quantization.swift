import PareFormats
import PareTensor

/// Linear quantization ops. DequantizeLinear: y = (x − x_zero_point) · x_scale, the difference exact, the product
/// one float32 multiplication, y of the scale's type (float16 scales give float16 y); x int8 / uint8 / int16 /
/// uint16 / int32 / int4 / uint4; per tensor, per axis or blocked (`QuantLayout`). QuantizeLinear:
/// y = saturate(round_half_even(x / y_scale) + y_zero_point), y of the zero point's type (default uint8; opset 21
/// `output_dtype`), same layouts. DynamicQuantizeLinear: uint8 with scale = (max(0, max x) − min(0, min x)) / 255,
/// zero point = saturate(round_half_even(−min(0, min x) / scale)). MatMulInteger: Σ_k (a − a_zp)(b − b_zp) in
/// int32, a_zp per tensor or per row of A, b_zp per tensor or per column of B, batch dimensions broadcast.
extension Ops {
    /// The saturation range of an integer quantization type.
    static func range(of dtype: DType) -> ClosedRange<Float>? {
        switch dtype {
        case .int8: return -128...127
        case .uint8: return 0...255
        case .int16: return -32768...32767
        case .uint16: return 0...65535
        case .int4: return -8...7
        case .uint4: return 0...15
        case .int32: return -2147483648...2147483520
        default: return nil
        }
    }

    static func dequantizeLinear(_ c: OpContext) throws -> [Tensor] {
        let x = try c.input(0)
        guard let q = x.ints else { throw c.fail("x is \(x.dtype); expected an integer tensor") }
        let (scale, sshape, sdtype) = try c.floatInput(1)
        let layout = try QuantLayout(c, x: x.shape, scale: sshape)
        var zp = [Int64](repeating: 0, count: scale.count)
        if let z = c.optionalInput(2) {
            guard let zi = z.ints, zi.count == scale.count, z.dtype == x.dtype else {
                throw c.fail("x_zero_point \(z.dtype)\(z.shape) does not match x_scale \(sshape) and x \(x.dtype)")
            }
            zp = zi
        }
        var out = [Float](repeating: 0, count: q.count)
        for i in 0..<q.count {
            let j = layout.index(i)
            out[i] = Float(q[i] - zp[j]) * scale[j]
        }
        return [Tensor(floats: out, shape: x.shape, dtype: sdtype)]
    }

    static func quantizeLinear(_ c: OpContext) throws -> [Tensor] {
        let (x, xshape, _) = try c.floatInput(0)
        let (scale, sshape, _) = try c.floatInput(1)
        let layout = try QuantLayout(c, x: xshape, scale: sshape)
        var dtype = DType.uint8
        var zp = [Int64](repeating: 0, count: scale.count)
        if let z = c.optionalInput(2) {
            guard let zi = z.ints, zi.count == scale.count else { throw c.fail("y_zero_point \(z.dtype)\(z.shape) does not match y_scale \(sshape)") }
            zp = zi
            dtype = z.dtype
        } else if let code = c.int("output_dtype"), code != 0 {
            guard let t = ONNXDataType.dtype(code: code) else { throw c.fail("output_dtype \(ONNXDataType.name(code: code)) is not supported") }
            dtype = t
        }
        guard let r = range(of: dtype) else { throw c.fail("quantizes to \(dtype), which is not an integer quantization type") }
        var out = [Int64](repeating: 0, count: x.count)
        for i in 0..<x.count {
            let j = layout.index(i)
            let v = (x[i] / scale[j]).rounded(.toNearestOrEven) + Float(zp[j])
            out[i] = v.isNaN ? 0 : Int64(min(max(v, r.lowerBound), r.upperBound))
        }
        return [Tensor(ints: out, shape: xshape, dtype: dtype)]
    }

    static func dynamicQuantizeLinear(_ c: OpContext) throws -> [Tensor] {
        let (x, shape, _) = try c.floatInput(0)
        var lo: Float = 0, hi: Float = 0
        for v in x { lo = min(lo, v); hi = max(hi, v) }
        let scale = (hi - lo) / 255
        let zpf = scale == 0 ? 0 : min(max((0 - lo / scale).rounded(.toNearestOrEven), 0), 255)
        let y: [Int64] = x.map { v in
            guard scale != 0 else { return Int64(zpf) }
            return Int64(min(max((v / scale).rounded(.toNearestOrEven) + zpf, 0), 255))
        }
        return [Tensor(ints: y, shape: shape, dtype: .uint8), Tensor(floats: [scale], shape: []), Tensor(ints: [Int64(zpf)], shape: [], dtype: .uint8)]
    }

    static func matMulInteger(_ c: OpContext) throws -> [Tensor] {
        let a = try c.input(0), b = try c.input(1)
        guard let av = a.ints, let bv = b.ints, a.rank >= 2, b.rank >= 2 else {
            throw c.fail("needs integer A and B of rank ≥ 2, got \(a.dtype)\(a.shape) and \(b.dtype)\(b.shape)")
        }
        let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1], k2 = b.shape[b.rank - 2], n = b.shape[b.rank - 1]
        guard k == k2 else { throw c.fail("cannot multiply \(a.shape) by \(b.shape)") }
        let aBatch = Array(a.shape.dropLast(2)), bBatch = Array(b.shape.dropLast(2))
        guard let batch = Broadcast.shape(aBatch, bBatch) else { throw c.fail("cannot broadcast the batch dimensions of \(a.shape) and \(b.shape)") }
        let azp = c.optionalInput(2)?.ints ?? [0], bzp = c.optionalInput(3)?.ints ?? [0]
        guard azp.count == 1 || azp.count == m, bzp.count == 1 || bzp.count == n else {
            throw c.fail("a_zero_point (\(azp.count) values) must be per tensor or per row (\(m)); b_zero_point (\(bzp.count)) per tensor or per column (\(n))")
        }
        let count = batch.reduce(1, *)
        let ao = Broadcast.offsets(aBatch, to: batch), bo = Broadcast.offsets(bBatch, to: batch)
        var out = [Int64](repeating: 0, count: count * m * n)
        for t in 0..<count {
            let ab = ao[t] * m * k, bb = bo[t] * k * n
            for i in 0..<m {
                let za = azp.count == 1 ? azp[0] : azp[i]
                for j in 0..<n {
                    let zb = bzp.count == 1 ? bzp[0] : bzp[j]
                    var s: Int64 = 0
                    for p in 0..<k { s += (av[ab + i * k + p] - za) * (bv[bb + p * n + j] - zb) }
                    out[(t * m + i) * n + j] = Int64(Int32(truncatingIfNeeded: s))
                }
            }
        }
        return [Tensor(ints: out, shape: batch + [m, n], dtype: .int32)]
    }

    static let quantizationKernels: [String: Kernel] = [
        "DequantizeLinear": dequantizeLinear,
        "QuantizeLinear": quantizeLinear,
        "DynamicQuantizeLinear": dynamicQuantizeLinear,
        "MatMulInteger": matMulInteger,
        "com.microsoft:MatMulNBits": matMulNBits,
    ]
}
