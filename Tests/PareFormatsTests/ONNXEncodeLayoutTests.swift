import Foundation
import PareBasics
import PareONNXProto
import Testing
@testable import PareFormats

/// ONNXLayout: matrix views, transposes, and the DequantizeLinear / MatMulNBits / Cast-Mul forms, decoded here
/// with the operators' documented formulas and compared with an independent dequantization of pare's codes.
@Suite struct ONNXEncodeLayoutTests {
    typealias S = ONNXEncodeSupport

    @Test(arguments: [
        ([4, 3, 2], 0, 4, 6, nil),
        ([4, 3, 2], 1, 3, 8, [1, 0, 2]),
        ([4, 3, 2], 2, 2, 12, [2, 0, 1]),
        ([64, 512], 1, 512, 64, [1, 0]),
        ([7], 0, 7, 1, nil),
    ] as [([Int], Int, Int, Int, [Int]?)])
    func matrixView(shape: [Int], axis: Int, rows: Int, cols: Int, perm: [Int]?) {
        let v = ONNXLayout.matrixView(shape: shape, axis: axis)
        #expect(v.rows == rows && v.cols == cols && v.permutation == perm)
    }

    /// transpose matches a naive index-by-index transpose; inverseTranspose undoes it (floats and bytes).
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func transposeMatchesNaive(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        for _ in 0..<20 {
            let rank = Int.random(in: 1...5, using: &rng)
            let shape = (0..<rank).map { _ in Int.random(in: 1...5, using: &rng) }
            let perm = Array(0..<rank).shuffled(using: &rng)
            let n = shape.reduce(1, *)
            let x = (0..<n).map { _ in Float.random(in: -1...1, using: &rng) }
            let y = ONNXLayout.transpose(x, shape: shape, permutation: perm)
            #expect(y == S.naiveTranspose(x, shape: shape, permutation: perm), "shape \(shape) perm \(perm)")
            #expect(ONNXLayout.inverseTranspose(y, shape: shape, permutation: perm) == x)
            let b = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(ONNXLayout.transpose(b, shape: shape, permutation: perm) == S.naiveTranspose(b, shape: shape, permutation: perm))
        }
    }

    @Test func nibblePacking() {
        #expect(ONNXLayout.packNibbles([1, 2, 3]) == [0x21, 0x03])
        #expect(ONNXLayout.unpackNibbleRows([0x21, 0x03, 0xF4, 0x0E], rows: 2, cols: 3) == [1, 2, 3, 4, 15, 14])
    }

    // MARK: Decoders written from the operator specifications

    static func unpack(_ t: Onnx_TensorProto) -> [Int] {
        let raw = [UInt8](t.rawData), n = t.dims.reduce(1) { $0 * Int($1) }
        switch t.dataType {
        case 3: return raw.map { Int(Int8(bitPattern: $0)) }
        case 2: return raw.map { Int($0) }
        case 22, 21:
            return (0..<n).map { i in
                let nib = Int(i % 2 == 0 ? raw[i / 2] & 0x0F : raw[i / 2] >> 4)
                return t.dataType == 22 && nib >= 8 ? nib - 16 : nib
            }
        case 1: return S.floats(t).map { Int($0) }
        default: Issue.record("unexpected type \(t.dataType)"); return []
        }
    }

    /// DequantizeLinear (opset 10–21 semantics) followed by the form's Reshape / Transpose.
    static func evaluate(_ f: ONNXLayout.DequantizeLinearForm) -> [Float] {
        let xs = unpack(f.x), dims = f.x.dims.map { Int($0) }
        let scale = S.floats(f.scale), sdims = f.scale.dims.map { Int($0) }
        let zp = f.zeroPoint.map(unpack) ?? [Int](repeating: 0, count: scale.count)
        var strides = [Int](repeating: 1, count: dims.count)
        for i in stride(from: dims.count - 2, through: 0, by: -1) { strides[i] = strides[i + 1] * dims[i + 1] }
        var y = [Float](repeating: 0, count: xs.count)
        for i in 0..<xs.count {
            var s = 0
            if !sdims.isEmpty {
                if let b = f.blockSize {
                    // Same rank as x; the index along `axis` is divided by the block size.
                    var idx = 0, sstride = 1
                    for d in stride(from: dims.count - 1, through: 0, by: -1) {
                        var k = (i / strides[d]) % dims[d]
                        if d == f.axis! { k /= b }
                        idx += k * sstride
                        sstride *= sdims[d]
                    }
                    s = idx
                } else {
                    s = (i / strides[f.axis!]) % dims[f.axis!]
                }
            }
            y[i] = Float(xs[i] - zp[s]) * scale[s]
        }
        if let perm = f.transpose { return S.naiveTranspose(y, shape: f.reshape ?? dims, permutation: perm) }
        return y
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var shape: [Int]
        var axis: Int
        var scheme: ONNXEncodeSupport.Scheme
        var testDescription: String { "\(shape) axis \(axis) \(scheme)" }
    }

    static let cases: [Case] = {
        var out: [Case] = []
        let shapes: [([Int], Int)] = [([8, 3, 3, 3], 0), ([64, 32], 1), ([32, 64], 0), ([4, 6, 2, 2], 1), ([16, 8], 0),
                                      ([2, 32, 16], 1), ([3, 4, 64], 2), ([4, 16, 3], 2)]
        for (shape, axis) in shapes {
            let cols = shape.reduce(1, *) / shape[axis]
            for dtype in ["int8", "uint8", "int4", "uint4"] {
                for sym in [true, false] {
                    out.append(Case(shape: shape, axis: axis, scheme: .init(dtype: dtype, granularity: "per-tensor", symmetric: sym)))
                    out.append(Case(shape: shape, axis: axis, scheme: .init(dtype: dtype, granularity: "per-channel", symmetric: sym)))
                    for g in [8, 16] where cols % g == 0 {
                        out.append(Case(shape: shape, axis: axis, scheme: .init(dtype: dtype, granularity: "per-group", group: g, symmetric: sym)))
                    }
                }
            }
        }
        return out
    }()

    static func weight(_ c: Case, seed: UInt64) -> ONNXQuantizedWeight {
        var rng = SplitMix64(seed: seed)
        let x = (0..<c.shape.reduce(1, *)).map { _ in rng.gaussian() * Float.random(in: 0.1...2, using: &rng) }
        return S.quantize(x, shape: c.shape, axis: c.axis, c.scheme)
    }

    @Test(arguments: cases)
    func dequantizeLinearForm(_ c: Case) throws {
        let w = Self.weight(c, seed: UInt64(c.shape.reduce(7, *) + c.axis))
        let f = try ONNXLayout.dequantizeLinear(w)
        #expect(f.x.dims.reduce(1, *) == Int64(w.shape.reduce(1, *)))
        #expect(Self.evaluate(f) == S.dequantize(w))
        let is4 = c.scheme.dtype.hasSuffix("4")
        #expect(f.minimumOpset == (is4 || c.scheme.granularity == "per-group" ? 21 : c.scheme.granularity == "per-tensor" ? 10 : 13))
        if c.scheme.symmetric && c.scheme.dtype.hasPrefix("int") { #expect(f.zeroPoint == nil) }
        if c.scheme.granularity != "per-group" || (c.shape == [64, 32] && c.axis == 1) || c.shape == [32, 64] {
            #expect(f.reshape == nil && f.transpose == nil && f.x.dims.map { Int($0) } == c.shape, "original layout expected")
        }
    }

    @Test(arguments: cases.filter { $0.scheme.granularity == "per-group" } + cases.prefix(8))
    func castMulForm(_ c: Case) throws {
        let w = Self.weight(c, seed: 99)
        let f = try ONNXLayout.castMul(w)
        let q = Self.unpack(f.q), s = S.floats(f.scale), qd = f.q.dims.map { Int($0) }, sd = f.scale.dims.map { Int($0) }
        let z = f.zeroPoint.map(S.floats) ?? [Float](repeating: 0, count: s.count)
        // numpy broadcasting of q (shape qd) against s (shape sd, same rank or 0-d).
        var y = [Float](repeating: 0, count: q.count)
        for i in 0..<q.count {
            var rem = i, si = 0, stride = 1
            for d in Swift.stride(from: qd.count - 1, through: 0, by: -1) {
                let k = rem % qd[d]
                rem /= qd[d]
                if !sd.isEmpty {
                    si += (sd[d] == 1 ? 0 : k) * stride
                    stride *= sd[d]
                }
            }
            y[i] = (Float(q[i]) - z[si]) * s[si]
        }
        if let perm = f.transpose { y = S.naiveTranspose(y, shape: f.reshape!, permutation: perm) }
        #expect(y == S.dequantize(w))
        #expect(f.q.dataType == (c.scheme.dtype.hasPrefix("int") ? 3 : 2))
    }

    @Test(arguments: ["int4 sym", "int4 asym", "uint4 sym", "uint4 asym"], [16, 32])
    func matMulNBitsForm(variant: String, group: Int) throws {
        let dtype = String(variant.split(separator: " ")[0]), symmetric = variant.hasSuffix(" sym")
        let c = Case(shape: [64, 24], axis: 1, scheme: .init(dtype: dtype, granularity: "per-group", group: group, symmetric: symmetric))
        let w = Self.weight(c, seed: 5)
        let f = try ONNXLayout.matMulNBits(w)
        let k = 64, n = 24, blocks = k / group
        #expect(f.b.dims == [Int64(n), Int64(blocks), Int64(group / 2)] && f.k == k && f.n == n && f.blockSize == group)
        let b = [UInt8](f.b.rawData), s = S.floats(f.scales)
        #expect(s.count == n * blocks)
        let zpBytes = f.zeroPoints.map { [UInt8]($0.rawData) }
        #expect(zpBytes == nil || zpBytes!.count == n * ((blocks + 1) / 2))
        // dequant(B)[n, k] = (q − zp) · scale, default zp 8; compare with W (original [K, N] layout) transposed.
        let expected = S.dequantize(w)
        for row in 0..<n {
            for kk in 0..<k {
                let byte = b[row * (k / 2) + kk / 2]
                let q = Int(kk % 2 == 0 ? byte & 0x0F : byte >> 4)
                let blk = kk / group
                var zp = 8
                if let z = zpBytes {
                    let zb = z[row * ((blocks + 1) / 2) + blk / 2]
                    zp = Int(blk % 2 == 0 ? zb & 0x0F : zb >> 4)
                }
                #expect(Float(q - zp) * s[row * blocks + blk] == expected[kk * n + row])
            }
        }
        if symmetric { #expect(f.zeroPoints == nil) }
    }

    @Test func matMulNBitsIncompatibilities() {
        func w(_ shape: [Int], _ axis: Int, _ dtype: String, _ gran: String, _ g: Int) -> ONNXQuantizedWeight {
            S.quantize([Float](repeating: 0.5, count: shape.reduce(1, *)), shape: shape, axis: axis,
                       .init(dtype: dtype, granularity: gran, group: g, symmetric: true))
        }
        #expect(ONNXLayout.matMulNBitsIncompatibility(w([64, 8], 1, "int4", "per-group", 32)) == nil)
        #expect(ONNXLayout.matMulNBitsIncompatibility(w([64, 8], 1, "int8", "per-group", 32))?.contains("int8") == true)
        #expect(ONNXLayout.matMulNBitsIncompatibility(w([64, 8], 1, "int4", "per-channel", 0))?.contains("per-channel") == true)
        #expect(ONNXLayout.matMulNBitsIncompatibility(w([8, 64], 0, "int4", "per-group", 32))?.contains("axis") == true)
        #expect(ONNXLayout.matMulNBitsIncompatibility(w([48, 8], 1, "int4", "per-group", 8))?.contains("power of two") == true)
        #expect(ONNXLayout.matMulNBitsIncompatibility(w([2, 64, 8], 2, "int4", "per-group", 16))?.contains("rank") == true)
    }

    /// Invalid quantized weights are rejected with the file, the tensor and what is wrong.
    @Test(arguments: [
        ("dtype", "int3"), ("granularity", "per-row"), ("data", "bytes of codes"), ("scales", "scales but"),
        ("zeros", "zero points but"), ("scaleValue", "finite and positive"), ("zeroRange", "outside the int8 range"),
        ("group", "must be positive and divide"), ("axis", "out of range"),
    ] as [(String, String)])
    func validation(field: String, fragment: String) {
        var w = S.quantize((0..<24).map { Float($0) - 12 }, shape: [4, 6], axis: 0,
                           .init(dtype: "int8", granularity: "per-channel", symmetric: true))
        switch field {
        case "dtype": w.dtype = "int3"
        case "granularity": w.granularity = "per-row"
        case "data": w.data.removeLast()
        case "scales": w.scales.append(1)
        case "zeros": w.zeroPoints.removeLast()
        case "scaleValue": w.scales[2] = .nan
        case "zeroRange": w.zeroPoints[1] = 300
        case "group": w.granularity = "per-group"; w.group = 4
        default: w.axis = 2
        }
        do {
            try w.validate(name: "fc.weight", file: "m.onnx")
            Issue.record("no error for \(field)")
        } catch let e as FormatError {
            #expect(e.file == "m.onnx" && e.tensor == "fc.weight" && e.message.contains(fragment), "\(e)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
