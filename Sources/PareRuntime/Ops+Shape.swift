import PareFormats
import PareTensor

/// Shape and type ops. Shape (start / end, opset 15) · Reshape (0 copies the input's dimension unless
/// allowzero = 1; one −1 is inferred) · Flatten (to 2-D at `axis`, default 1) · Squeeze / Unsqueeze (axes as an
/// attribute before opset 13, an input from 13) · Transpose (perm, default reversed) · Expand (bidirectional
/// broadcast to a shape) · Cast (float ↔ float rounds to nearest even; float → integer truncates toward zero and
/// wraps to the type's width, NaN → 0; integer → integer wraps; → bool is x ≠ 0) · ConstantOfShape (value
/// attribute, default float32 0) · Range (count = max(⌈(limit − start) / delta⌉, 0)).
extension Ops {
    static func cast(_ c: OpContext) throws -> [Tensor] {
        let x = try c.input(0)
        let code = c.int("to", 0)
        guard let to = ONNXDataType.dtype(code: code) else { throw c.fail("casts to \(ONNXDataType.name(code: code)), which the interpreter does not compute") }
        switch (x.storage, to.isFloatingPoint) {
        case (.float(let v), true): return [Tensor(floats: v, shape: x.shape, dtype: to)]
        case (.int(let v), true): return [Tensor(floats: v.map { Float($0) }, shape: x.shape, dtype: to)]
        case (.float(let v), false):
            return [Tensor(ints: v.map { f in
                if to == .bool { return f != 0 ? 1 : 0 }
                guard f.isFinite, abs(f) < 9.2e18 else { return 0 }
                return Tensor.wrap(Int64(f), to: to)
            }, shape: x.shape, dtype: to)]
        case (.int(let v), false): return [Tensor(ints: v.map { Tensor.wrap($0, to: to) }, shape: x.shape, dtype: to)]
        }
    }

    static func shapeOp(_ c: OpContext) throws -> [Tensor] {
        let x = try c.input(0)
        let r = x.rank
        func clampAxis(_ a: Int) -> Int { min(max(a < 0 ? a + r : a, 0), r) }
        let start = clampAxis(c.int("start", 0)), end = clampAxis(c.int("end", r))
        let dims = start < end ? Array(x.shape[start..<end]) : []
        return [Tensor(ints: dims.map { Int64($0) }, shape: [dims.count])]
    }

    static func reshape(_ c: OpContext) throws -> [Tensor] {
        let x = try c.input(0)
        let requested = try c.intInput(1)
        let allowZero = c.int("allowzero", 0) != 0
        var dims = requested
        for k in dims.indices where dims[k] == 0 && !allowZero {
            guard k < x.rank else { throw c.fail("shape \(requested) copies dimension \(k) of a rank-\(x.rank) input") }
            dims[k] = x.shape[k]
        }
        let inferred = dims.indices.filter { dims[$0] == -1 }
        guard inferred.count <= 1 else { throw c.fail("shape \(requested) has more than one -1") }
        if let k = inferred.first {
            let known = dims.enumerated().filter { $0.offset != k }.reduce(1) { $0 * $1.element }
            guard known > 0, x.count % known == 0 else { throw c.fail("cannot infer dimension \(k) of \(requested) for \(x.shape) (\(x.count) elements)") }
            dims[k] = x.count / known
        }
        guard dims.allSatisfy({ $0 >= 0 }), dims.reduce(1, *) == x.count else {
            throw c.fail("cannot reshape \(x.shape) (\(x.count) elements) to \(requested)")
        }
        return [x.reshaped(dims)]
    }

    static func flatten(_ c: OpContext) throws -> [Tensor] {
        let x = try c.input(0)
        var axis = c.int("axis", 1)
        if axis < 0 { axis += x.rank }
        guard axis >= 0 && axis <= x.rank else { throw c.fail("axis \(c.int("axis", 1)) is out of range for a rank-\(x.rank) input") }
        return [x.reshaped([x.shape[..<axis].reduce(1, *), x.shape[axis...].reduce(1, *)])]
    }

    /// Axes from input 1 (opset ≥ 13) or the `axes` attribute.
    static func axesInputOrAttribute(_ c: OpContext) throws -> [Int]? {
        if let a = try c.optionalIntInput(1) { return a }
        return c.ints("axes")
    }

    static func squeeze(_ c: OpContext) throws -> [Tensor] {
        let x = try c.input(0)
        guard let given = try axesInputOrAttribute(c) else { return [x.reshaped(x.shape.filter { $0 != 1 })] }
        let axes = Set(try given.map { try c.axis($0, rank: x.rank) })
        for a in axes where x.shape[a] != 1 { throw c.fail("cannot squeeze axis \(a) of size \(x.shape[a]) in \(x.shape)") }
        return [x.reshaped(x.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element))]
    }

    static func unsqueeze(_ c: OpContext) throws -> [Tensor] {
        let x = try c.input(0)
        guard let given = try axesInputOrAttribute(c) else { throw c.fail("has no axes") }
        let r = x.rank + given.count
        let axes = Set(try given.map { try c.axis($0, rank: r) })
        guard axes.count == given.count else { throw c.fail("has repeated axes \(given)") }
        var dims: [Int] = []
        var k = 0
        for d in 0..<r {
            if axes.contains(d) { dims.append(1) } else { dims.append(x.shape[k]); k += 1 }
        }
        return [x.reshaped(dims)]
    }

    static func transpose(_ c: OpContext) throws -> [Tensor] {
        let x = try c.input(0)
        let perm = c.ints("perm") ?? Array((0..<x.rank).reversed())
        guard perm.count == x.rank, Set(perm) == Set(0..<x.rank) else { throw c.fail("perm \(perm) is not a permutation of 0..<\(x.rank)") }
        return [x.gathered(Tensor.transposeOffsets(x.shape, perm: perm), shape: perm.map { x.shape[$0] })]
    }

    static func expand(_ c: OpContext) throws -> [Tensor] {
        let x = try c.input(0)
        let target = try c.intInput(1)
        guard let out = Broadcast.shape(x.shape, target) else { throw c.fail("cannot expand \(x.shape) to \(target)") }
        return [x.gathered(Broadcast.offsets(x.shape, to: out), shape: out)]
    }

    static func constantOfShape(_ c: OpContext) throws -> [Tensor] {
        let dims = try c.intInput(0)
        guard dims.allSatisfy({ $0 >= 0 }) else { throw c.fail("has a negative dimension in \(dims)") }
        let n = dims.reduce(1, *)
        guard let v = c.tensorAttributes["value"] else { return [Tensor(floats: [Float](repeating: 0, count: n), shape: dims)] }
        guard v.count == 1 else { throw c.fail("value must hold one element, got \(v.shape)") }
        switch v.storage {
        case .float(let f): return [Tensor(floats: [Float](repeating: f[0], count: n), shape: dims, dtype: v.dtype)]
        case .int(let i): return [Tensor(ints: [Int64](repeating: i[0], count: n), shape: dims, dtype: v.dtype)]
        }
    }

    static func range(_ c: OpContext) throws -> [Tensor] {
        let s = try c.input(0), l = try c.input(1), d = try c.input(2)
        guard s.count == 1, l.count == 1, d.count == 1 else { throw c.fail("start, limit and delta must be scalars") }
        switch (s.storage, l.storage, d.storage) {
        case (.int(let a), .int(let b), .int(let e)):
            guard e[0] != 0 else { throw c.fail("delta is 0") }
            let n = max(Int((Double(b[0] - a[0]) / Double(e[0])).rounded(.up)), 0)
            return [Tensor(ints: (0..<n).map { a[0] + Int64($0) * e[0] }, shape: [n], dtype: s.dtype)]
        case (.float(let a), .float(let b), .float(let e)):
            guard e[0] != 0 else { throw c.fail("delta is 0") }
            let n = max(Int(((b[0] - a[0]) / e[0]).rounded(.up)), 0)
            return [Tensor(floats: (0..<n).map { a[0] + Float($0) * e[0] }, shape: [n], dtype: s.dtype)]
        default:
            throw c.fail("start, limit and delta must have one type (\(s.dtype), \(l.dtype), \(d.dtype))")
        }
    }

    static let shapeKernels: [String: Kernel] = [
        "Cast": cast,
        "Shape": shapeOp,
        "Size": { c in [Tensor(ints: [Int64(try c.input(0).count)], shape: [])] },
        "Reshape": reshape,
        "Flatten": flatten,
        "Squeeze": squeeze,
        "Unsqueeze": unsqueeze,
        "Transpose": transpose,
        "Expand": expand,
        "ConstantOfShape": constantOfShape,
        "Range": range,
    ]
}
