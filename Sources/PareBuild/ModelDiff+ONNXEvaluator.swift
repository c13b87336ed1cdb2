import Foundation
import PareBasics
import PareFormats
import PareKernels
import PareONNXProto
import PareTensor

/// Evaluating the constant subgraphs that produce an ONNX model's effective weights.
extension ModelDiff.ONNXWeights {
    /// A computed value: float types hold float32 values, integer types Int64 values.
    struct Value {
        enum Storage { case float([Float]), int([Int64]) }
        var dtype: DType
        var shape: [Int]
        var data: Storage
        var count: Int {
            switch data {
            case .float(let f): return f.count
            case .int(let i): return i.count
            }
        }
        var ints: [Int64]? { if case .int(let i) = data { return i } else { return nil } }
        var floats: [Float]? { if case .float(let f) = data { return f } else { return nil } }
    }

    func fail(_ n: Onnx_NodeProto, _ index: Int, _ message: String) -> DiagnosticError {
        let label = n.name.isEmpty ? "\(n.opType) node #\(index)" : "node '\(n.name)' (\(n.opType))"
        return DiagnosticError(.error("\(label): \(message)", at: SourceLocation(file: path)))
    }

    /// Computes a constant-derived value (memoized within one weight).
    func evaluate(_ name: String, memo: inout [String: Value], depth: Int) throws -> Value {
        if let v = memo[name] { return v }
        if depth > 256 { throw ModelDiff.tensorError(path, name, "is computed by a chain of more than 256 nodes") }
        let v: Value
        if let i = producer[name] {
            let n = nodes[i]
            var inputs: [Value?] = []
            for input in n.input { inputs.append(input.isEmpty ? nil : try evaluate(input, memo: &memo, depth: depth + 1)) }
            v = try apply(n, index: i, inputs)
        } else if let c = constants[name] {
            v = try read(c)
        } else {
            throw ModelDiff.tensorError(path, name, "is not computed from constants")
        }
        memo[name] = v
        return v
    }

    /// Reads an indexed constant.
    func read(_ t: ONNXTensorRef) throws -> Value {
        let shape = t.shape.dims
        let count = t.shape.elementCount ?? 0
        do {
            return try file.withPayload(t) { raw -> Value in
                if t.dtype.isFloatingPoint {
                    return Value(dtype: t.dtype, shape: shape, data: .float(try ModelDiff.floats(raw, dtype: t.dtype, file: path, tensor: t.name)))
                }
                let out = ONNXIntegerPayload.decode(raw, dtype: t.dtype, count: count)
                return Value(dtype: t.dtype, shape: shape, data: .int(out))
            }
        } catch let e as DiagnosticError {
            throw e
        } catch {
            throw ModelDiff.tensorError(path, t.name, "\(error)")
        }
    }

    /// Row-major strides of `shape`.
    static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            s[d] = acc
            acc *= shape[d]
        }
        return s
    }

    /// Applies one evaluable node.
    func apply(_ n: Onnx_NodeProto, index: Int, _ inputs: [Value?]) throws -> Value {
        guard let x = inputs.first ?? nil else { throw fail(n, index, "has no first input") }
        switch n.opType {
        case "DequantizeLinear": return try dequantizeLinear(n, index: index, inputs)
        case "Cast":
            let code = Self.intAttr(n, "to") ?? 0
            guard let to = ONNXDataType.dtype(code: code) else { throw fail(n, index, "casts to \(ONNXDataType.name(code: code)), which pare diff does not evaluate") }
            if to.isFloatingPoint {
                var f: [Float]
                switch x.data {
                case .float(let v): f = v
                case .int(let v): f = v.map { Float($0) }   // round to nearest even, as a C cast to float
                }
                if to == .float16 { f = f.withUnsafeBufferPointer { HalfPrecision.toFloat16Reference($0) }.withUnsafeBufferPointer { HalfPrecision.fromFloat16($0) } }
                if to == .bfloat16 { f = f.withUnsafeBufferPointer { HalfPrecision.toBFloat16Reference($0) }.withUnsafeBufferPointer { HalfPrecision.fromBFloat16($0) } }
                return Value(dtype: to, shape: x.shape, data: .float(f))
            }
            guard let i = x.ints else { throw fail(n, index, "casts a float tensor to \(to), which pare diff does not evaluate") }
            return Value(dtype: to, shape: x.shape, data: .int(i))
        case "Reshape":
            guard inputs.count > 1, let s = inputs[1]?.ints else { throw fail(n, index, "has no integer shape input") }
            let allowZero = (Self.intAttr(n, "allowzero") ?? 0) != 0
            var dims = s.map(Int.init)
            for k in dims.indices where dims[k] == 0 && !allowZero {
                guard k < x.shape.count else { throw fail(n, index, "copies dimension \(k) of a rank-\(x.shape.count) input") }
                dims[k] = x.shape[k]
            }
            if let k = dims.firstIndex(of: -1) {
                let known = dims.enumerated().filter { $0.offset != k }.reduce(1) { $0 * $1.element }
                guard known > 0, x.count % known == 0 else { throw fail(n, index, "cannot infer dimension \(k) of \(s) for \(x.count) elements") }
                dims[k] = x.count / known
            }
            guard dims.allSatisfy({ $0 >= 0 }), dims.reduce(1, *) == x.count else {
                throw fail(n, index, "reshapes \(x.shape) (\(x.count) elements) to \(s)")
            }
            var v = x
            v.shape = dims
            return v
        case "Transpose":
            let r = x.shape.count
            let perm = Self.attr(n, "perm").map { $0.ints.map { Int($0) } } ?? Array((0..<r).reversed())
            guard perm.count == r, Set(perm) == Set(0..<r) else { throw fail(n, index, "has perm \(perm) for a rank-\(r) input") }
            let inStrides = Self.strides(x.shape)
            let outShape = perm.map { x.shape[$0] }
            let count = x.count
            var src = [Int](repeating: 0, count: count)
            var idx = [Int](repeating: 0, count: r)
            for o in 0..<count {
                var s = 0
                for d in 0..<r { s += idx[d] * inStrides[perm[d]] }
                src[o] = s
                var d = r - 1
                while d >= 0 {
                    idx[d] += 1
                    if idx[d] < outShape[d] { break }
                    idx[d] = 0
                    d -= 1
                }
            }
            switch x.data {
            case .float(let f): return Value(dtype: x.dtype, shape: outShape, data: .float(src.map { f[$0] }))
            case .int(let i): return Value(dtype: x.dtype, shape: outShape, data: .int(src.map { i[$0] }))
            }
        default:   // Sub, Mul: numpy broadcasting, float32 or integer arithmetic
            guard inputs.count > 1, let y = inputs[1] else { throw fail(n, index, "needs two inputs") }
            let r = max(x.shape.count, y.shape.count)
            let xs = [Int](repeating: 1, count: r - x.shape.count) + x.shape
            let ys = [Int](repeating: 1, count: r - y.shape.count) + y.shape
            var shape = [Int](repeating: 1, count: r)
            for d in 0..<r {
                guard xs[d] == ys[d] || xs[d] == 1 || ys[d] == 1 else { throw fail(n, index, "cannot broadcast \(x.shape) with \(y.shape)") }
                shape[d] = xs[d] == 1 ? ys[d] : xs[d]
            }
            let xst = Self.strides(xs).enumerated().map { xs[$0.offset] == 1 ? 0 : $0.element }
            let yst = Self.strides(ys).enumerated().map { ys[$0.offset] == 1 ? 0 : $0.element }
            let count = shape.reduce(1, *)
            var pairs = [(Int, Int)](repeating: (0, 0), count: count)
            var idx = [Int](repeating: 0, count: r)
            for o in 0..<count {
                var a = 0, b = 0
                for d in 0..<r { a += idx[d] * xst[d]; b += idx[d] * yst[d] }
                pairs[o] = (a, b)
                var d = r - 1
                while d >= 0 {
                    idx[d] += 1
                    if idx[d] < shape[d] { break }
                    idx[d] = 0
                    d -= 1
                }
            }
            let sub = n.opType == "Sub"
            switch (x.data, y.data) {
            case (.float(let a), .float(let b)):
                return Value(dtype: x.dtype, shape: shape, data: .float(pairs.map { sub ? a[$0.0] - b[$0.1] : a[$0.0] * b[$0.1] }))
            case (.int(let a), .int(let b)):
                return Value(dtype: x.dtype, shape: shape, data: .int(pairs.map { sub ? a[$0.0] &- b[$0.1] : a[$0.0] &* b[$0.1] }))
            default:
                throw fail(n, index, "mixes \(x.dtype) and \(y.dtype) inputs")
            }
        }
    }

    /// `DequantizeLinear` as ONNX (opset 10–23) defines it: `y = (x − x_zero_point) · x_scale`, with the scale
    /// per tensor (scalar or one element), per axis (1-D of `x.shape[axis]`) or blocked (`block_size` > 0; same
    /// rank as x, `ceil(x.shape[axis] / block_size)` at `axis`). The difference is exact (integers), the product
    /// one float32 multiplication; float16 / bfloat16 scales give values rounded to that type.
    func dequantizeLinear(_ n: Onnx_NodeProto, index: Int, _ inputs: [Value?]) throws -> Value {
        guard let x = inputs[0], let q = x.ints else { throw fail(n, index, "has a non-integer input x") }
        guard inputs.count > 1, let s = inputs[1], let scale = s.floats else { throw fail(n, index, "has no float x_scale") }
        var zp = [Int64](repeating: 0, count: scale.count)
        if inputs.count > 2, let z = inputs[2] {
            guard let zi = z.ints, zi.count == scale.count else { throw fail(n, index, "has an x_zero_point of \(z.count) values for \(scale.count) scales") }
            zp = zi
        }
        let r = x.shape.count
        var axis = Self.intAttr(n, "axis") ?? 1
        if axis < 0 { axis += r }
        let block = Self.intAttr(n, "block_size") ?? 0
        let count = x.count
        var out = [Float](repeating: 0, count: count)
        if scale.count == 1 && s.shape.count <= 1 {
            for i in 0..<count { out[i] = Float(q[i] - zp[0]) * scale[0] }
        } else {
            guard axis >= 0 && axis < r else { throw fail(n, index, "has axis \(axis) for a rank-\(r) input") }
            let inner = x.shape[(axis + 1)...].reduce(1, *), dim = x.shape[axis]
            if block <= 0 {
                guard s.shape.count == 1, scale.count == dim else { throw fail(n, index, "has x_scale \(s.shape) for axis \(axis) of \(x.shape)") }
                for i in 0..<count {
                    let c = (i / inner) % dim
                    out[i] = Float(q[i] - zp[c]) * scale[c]
                }
            } else {
                var want = x.shape
                want[axis] = (dim + block - 1) / block
                guard s.shape == want else { throw fail(n, index, "has x_scale \(s.shape); block_size \(block) on axis \(axis) of \(x.shape) needs \(want)") }
                let sInner = inner, sDim = want[axis]
                for i in 0..<count {
                    let outer = i / (inner * dim), c = (i / inner) % dim, k = i % inner
                    let j = (outer * sDim + c / block) * sInner + k
                    out[i] = Float(q[i] - zp[j]) * scale[j]
                }
            }
        }
        if s.dtype == .float16 { out = out.withUnsafeBufferPointer { HalfPrecision.toFloat16Reference($0) }.withUnsafeBufferPointer { HalfPrecision.fromFloat16($0) } }
        if s.dtype == .bfloat16 { out = out.withUnsafeBufferPointer { HalfPrecision.toBFloat16Reference($0) }.withUnsafeBufferPointer { HalfPrecision.fromBFloat16($0) } }
        return Value(dtype: s.dtype, shape: x.shape, data: .float(out))
    }

    /// `com.microsoft.MatMulNBits`' B dequantized and transposed to the `[K, N]` MatMul weight:
    /// `W[k, n] = Float(q[n, k] − zp[n, k / block]) · scale[n, k / block]`, with `bits`-bit codes packed in
    /// `B [N, ceil(K / block), block · bits / 8]` (low bits first), zero points packed the same way per row n
    /// (`ceil(blocks · bits / 8)` bytes) or unpacked floats of the scales' type (one per block), default zero point
    /// 2^(bits−1); computed as `(Float(q) − zp) · scale`.
    func matMulNBits(_ n: Onnx_NodeProto, name: String) throws -> ModelDiff.Values {
        let index = nbits[name] ?? 0
        guard let k = Self.intAttr(n, "K"), let cols = Self.intAttr(n, "N"), let block = Self.intAttr(n, "block_size") else {
            throw fail(n, index, "lacks the K, N or block_size attribute")
        }
        let bits = Self.intAttr(n, "bits") ?? 4
        guard [2, 4, 8].contains(bits), k > 0, cols > 0, block > 0, block * bits % 8 == 0 else {
            throw fail(n, index, "has bits \(bits), block_size \(block), K \(k), N \(cols); pare diff reads bits 2, 4, 8")
        }
        guard let bc = constants[n.input[1]], let sc = constants[n.input[2]] else { throw fail(n, index, "B or scales is not a constant") }
        let b = try read(bc), s = try read(sc)
        let blocks = (k + block - 1) / block, blob = block * bits / 8
        guard let codes = b.ints, codes.count == cols * blocks * blob else {
            throw fail(n, index, "has B \(b.shape) (\(b.dtype)); K \(k), N \(cols), block \(block) needs \(cols * blocks * blob) uint8 values")
        }
        guard let scales = s.floats, scales.count == cols * blocks else { throw fail(n, index, "has \(s.count) scales; needs \(cols * blocks)") }
        var zps: [Float]?
        if n.input.count > 3, !n.input[3].isEmpty, let zc = constants[n.input[3]] {
            let z = try read(zc)
            let perRow = (blocks * bits + 7) / 8
            if let zf = z.floats {
                guard zf.count == cols * blocks else {
                    throw fail(n, index, "has \(z.count) float zero points; needs \(cols * blocks), one per block")
                }
                zps = zf
            } else {
                guard let zb = z.ints, zb.count == cols * perRow else {
                    throw fail(n, index, "has \(z.count) zero points (\(z.dtype)); pare diff reads packed uint8 zero points, \(cols * perRow) bytes")
                }
                zps = MatMulNBitsWeight.unpackZeroPoints(zb, n: cols, blocks: blocks, bits: bits)
            }
        }
        // W is [N, K]; the MatMul weight it replaces is its transpose [K, N].
        let w = MatMulNBitsWeight.dequantize(codes: codes, scales: scales, zeroPoints: zps, n: cols, k: k, block: block, bits: bits)
        var out = [Float](repeating: 0, count: k * cols)
        for r in 0..<cols { for kk in 0..<k { out[kk * cols + r] = w[r * k + kk] } }
        if s.dtype == .float16 { out = out.withUnsafeBufferPointer { HalfPrecision.toFloat16Reference($0) }.withUnsafeBufferPointer { HalfPrecision.fromFloat16($0) } }
        return ModelDiff.Values(shape: [k, cols], values: out)
    }
}
