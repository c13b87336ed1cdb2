import Foundation

/// Reductions and Softmax. ReduceSum Σx · ReduceMean Σx / n · ReduceL2 √Σx² · ReduceL1 Σ|x| · ReduceSumSquare Σx² ·
/// ReduceMax · ReduceMin · ReduceProd, over `axes` (an attribute, or input 1 — from opset 13 for ReduceSum and 18
/// for the others; none: every axis, or the input unchanged with noop_with_empty_axes = 1), keepdims default 1;
/// sums accumulate in Double. ArgMax / ArgMin (axis, keepdims, select_last_index) give int64. Softmax
/// eˣ⁻ᵐᵃˣ / Σeˣ⁻ᵐᵃˣ and LogSoftmax x − max − ln Σeˣ⁻ᵐᵃˣ: over one axis (default −1) from opset 13; before 13
/// over the input flattened to 2-D at `axis` (default 1), as those opsets define.
extension Ops {
    enum Reduction { case sum, mean, l2, l1, sumSquare, max, min, prod }

    static func reduce(_ c: OpContext, _ kind: Reduction) throws -> [Tensor] {
        let x = try c.input(0)
        let given = try axesInputOrAttribute(c) ?? []
        if given.isEmpty && c.int("noop_with_empty_axes", 0) != 0 { return [x] }
        let axes = given.isEmpty ? Set(0..<x.rank) : Set(try given.map { try c.axis($0, rank: x.rank) })
        let keep = x.shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
        let outShape = c.int("keepdims", 1) != 0 ? keep : x.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
        let m = keep.reduce(1, *)
        let n = x.count
        let per = m > 0 ? n / m : 0
        let target = Broadcast.offsets(keep, to: x.shape)
        switch x.storage {
        case .float(let v):
            guard n > 0 || kind == .sum || kind == .sumSquare || kind == .l1 || kind == .l2 else {
                throw c.fail("reduces an empty tensor \(x.shape)")
            }
            var out: [Float]
            switch kind {
            case .max, .min:
                var acc = [Float](repeating: kind == .max ? -.infinity : .infinity, count: m)
                for i in 0..<n {
                    let o = target[i], e = v[i]
                    if e.isNaN { acc[o] = .nan } else if kind == .max ? e > acc[o] : e < acc[o] { acc[o] = e }
                }
                out = acc
            case .prod:
                var acc = [Double](repeating: 1, count: m)
                for i in 0..<n { acc[target[i]] *= Double(v[i]) }
                out = acc.map { Float($0) }
            default:
                var acc = [Double](repeating: 0, count: m)
                switch kind {
                case .l1: for i in 0..<n { acc[target[i]] += Double(abs(v[i])) }
                case .l2, .sumSquare: for i in 0..<n { let e = Double(v[i]); acc[target[i]] += e * e }
                default: for i in 0..<n { acc[target[i]] += Double(v[i]) }
                }
                switch kind {
                case .mean: out = acc.map { Float($0 / Double(per)) }
                case .l2: out = acc.map { Float($0.squareRoot()) }
                default: out = acc.map { Float($0) }
                }
            }
            return [Tensor(floats: out, shape: outShape, dtype: x.dtype)]
        case .int(let v):
            var acc: [Int64]
            switch kind {
            case .max: acc = [Int64](repeating: .min, count: m); for i in 0..<n { acc[target[i]] = max(acc[target[i]], v[i]) }
            case .min: acc = [Int64](repeating: .max, count: m); for i in 0..<n { acc[target[i]] = min(acc[target[i]], v[i]) }
            case .prod: acc = [Int64](repeating: 1, count: m); for i in 0..<n { acc[target[i]] &*= v[i] }
            case .sum: acc = [Int64](repeating: 0, count: m); for i in 0..<n { acc[target[i]] &+= v[i] }
            case .mean:
                acc = [Int64](repeating: 0, count: m)
                for i in 0..<n { acc[target[i]] &+= v[i] }
                acc = acc.map { per > 0 ? $0 / Int64(per) : 0 }
            default: throw c.fail("is not computed on integer inputs (\(x.dtype))")
            }
            return [Tensor(ints: acc, shape: outShape, dtype: x.dtype)]
        }
    }

    static func argExtreme(_ c: OpContext, max isMax: Bool) throws -> [Tensor] {
        let x = try c.input(0)
        let axis = try c.axis(c.int("axis", 0), rank: x.rank)
        let last = c.int("select_last_index", 0) != 0
        let v = x.asFloats
        let outer = x.shape[..<axis].reduce(1, *), dim = x.shape[axis], inner = x.shape[(axis + 1)...].reduce(1, *)
        guard dim > 0 else { throw c.fail("reduces an empty axis") }
        var out = [Int64](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for k in 0..<inner {
                var best = v[o * dim * inner + k], at = 0
                for j in 1..<max(dim, 1) {
                    let e = v[(o * dim + j) * inner + k]
                    if isMax ? (e > best || (last && e == best)) : (e < best || (last && e == best)) { best = e; at = j }
                }
                out[o * inner + k] = Int64(at)
            }
        }
        var shape = x.shape
        if c.int("keepdims", 1) != 0 { shape[axis] = 1 } else { shape.remove(at: axis) }
        return [Tensor(ints: out, shape: shape)]
    }

    static func softmax(_ c: OpContext, log: Bool) throws -> [Tensor] {
        let (v, shape, dtype) = try c.floatInput(0)
        let r = shape.count
        let legacy = c.opset < 13
        let axis = try c.axis(c.int("axis", legacy ? 1 : -1), rank: max(r, 1))
        let outer = shape[..<axis].reduce(1, *)
        let dim = legacy ? shape[axis...].reduce(1, *) : (r == 0 ? 1 : shape[axis])
        let inner = legacy ? 1 : shape[(axis + 1)...].reduce(1, *)
        var out = [Float](repeating: 0, count: v.count)
        v.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in
                for o in 0..<outer {
                    for k in 0..<inner {
                        let base = o * dim * inner + k
                        var m = -Float.infinity
                        for j in 0..<dim { m = max(m, x[base + j * inner]) }
                        var sum: Float = 0
                        for j in 0..<dim {
                            let e = expf(x[base + j * inner] - m)
                            y[base + j * inner] = e
                            sum += e
                        }
                        if log {
                            let ls = logf(sum)
                            for j in 0..<dim { y[base + j * inner] = x[base + j * inner] - m - ls }
                        } else {
                            let inv = 1 / sum
                            for j in 0..<dim { y[base + j * inner] *= inv }
                        }
                    }
                }
            }
        }
        return [Tensor(floats: out, shape: shape, dtype: dtype)]
    }

    static let reduceKernels: [String: Kernel] = [
        "ReduceSum": { try reduce($0, .sum) },
        "ReduceMean": { try reduce($0, .mean) },
        "ReduceL2": { try reduce($0, .l2) },
        "ReduceL1": { try reduce($0, .l1) },
        "ReduceSumSquare": { try reduce($0, .sumSquare) },
        "ReduceMax": { try reduce($0, .max) },
        "ReduceMin": { try reduce($0, .min) },
        "ReduceProd": { try reduce($0, .prod) },
        "ArgMax": { try argExtreme($0, max: true) },
        "ArgMin": { try argExtreme($0, max: false) },
        "Softmax": { try softmax($0, log: false) },
        "LogSoftmax": { try softmax($0, log: true) },
    ]
}
