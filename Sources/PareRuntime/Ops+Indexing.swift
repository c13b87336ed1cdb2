/// Ops that select or join elements. Concat (along `axis`) · Split (sizes from input 1 (opset ≥ 13), the `split`
/// attribute, or equal parts: `num_outputs` (opset 18, last part smaller) or one per output) · Slice (starts /
/// ends / axes / steps as inputs (opset ≥ 10) or attributes; negative values count from the end; clamped as
/// ONNX specifies, also for negative steps) · Gather (along `axis`, default 0; negative indices count from the
/// end; out-of-range indices are an error) · Tile (repeats) · Pad (opset ≥ 11 inputs pads / constant_value /
/// axes; modes constant, reflect, edge).
extension Ops {
    static func concat(_ c: OpContext) throws -> [Tensor] {
        let parts = c.inputs.compactMap { $0 }
        guard let first = parts.first else { throw c.fail("needs at least one input") }
        guard let a = c.int("axis") else { throw c.fail("has no axis attribute") }
        let axis = try c.axis(a, rank: first.rank)
        var shape = first.shape
        shape[axis] = 0
        for p in parts {
            guard p.rank == first.rank, p.dtype == first.dtype,
                  p.shape.enumerated().allSatisfy({ $0.offset == axis || $0.element == first.shape[$0.offset] }) else {
                throw c.fail("cannot concatenate \(p.dtype)\(p.shape) with \(first.dtype)\(first.shape) on axis \(axis)")
            }
            shape[axis] += p.shape[axis]
        }
        return [Tensor.concatenated(parts, axis: axis, shape: shape)]
    }

    static func split(_ c: OpContext) throws -> [Tensor] {
        let x = try c.input(0)
        let axis = try c.axis(c.int("axis", 0), rank: x.rank)
        let dim = x.shape[axis]
        let outputs = c.node.output.count
        var sizes: [Int]
        if let s = try c.optionalIntInput(1) ?? c.ints("split") {
            sizes = s
        } else {
            let n = c.int("num_outputs") ?? outputs
            guard n > 0 else { throw c.fail("splits into \(n) parts") }
            let part = (dim + n - 1) / n
            sizes = (0..<n).map { k in max(0, min(part, dim - k * part)) }
        }
        guard sizes.count == outputs, sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == dim else {
            throw c.fail("split sizes \(sizes) do not divide dimension \(axis) of \(x.shape) into \(outputs) outputs")
        }
        let outer = x.shape[..<axis].reduce(1, *), inner = x.shape[(axis + 1)...].reduce(1, *)
        var result: [Tensor] = []
        var start = 0
        for s in sizes {
            var shape = x.shape
            shape[axis] = s
            var offsets: [Int] = []
            offsets.reserveCapacity(outer * s * inner)
            for o in 0..<outer {
                let base = (o * dim + start) * inner
                offsets.append(contentsOf: base..<(base + s * inner))
            }
            result.append(x.gathered(offsets, shape: shape))
            start += s
        }
        return result
    }

    static func slice(_ c: OpContext) throws -> [Tensor] {
        let x = try c.input(0)
        let starts: [Int], ends: [Int], axesIn: [Int]?, stepsIn: [Int]?
        if c.optionalInput(1) != nil {
            starts = try c.intInput(1)
            ends = try c.intInput(2)
            axesIn = try c.optionalIntInput(3)
            stepsIn = try c.optionalIntInput(4)
        } else {
            guard let s = c.ints("starts"), let e = c.ints("ends") else { throw c.fail("has no starts / ends") }
            starts = s
            ends = e
            axesIn = c.ints("axes")
            stepsIn = nil
        }
        let axes = try (axesIn ?? Array(0..<starts.count)).map { try c.axis($0, rank: x.rank) }
        let steps = stepsIn ?? [Int](repeating: 1, count: starts.count)
        guard ends.count == starts.count, axes.count == starts.count, steps.count == starts.count, Set(axes).count == axes.count else {
            throw c.fail("starts \(starts), ends \(ends), axes \(axes), steps \(steps) do not match")
        }
        var first = [Int](repeating: 0, count: x.rank), step = [Int](repeating: 1, count: x.rank), shape = x.shape
        for (k, a) in axes.enumerated() {
            let dim = x.shape[a], st = steps[k]
            guard st != 0 else { throw c.fail("step 0 on axis \(a)") }
            var s = starts[k], e = ends[k]
            if s < 0 { s = s &+ dim }
            if e < 0 { e = e &+ dim }
            if st > 0 {
                s = min(max(s, 0), dim)
                e = min(max(e, 0), dim)
                shape[a] = e > s ? (e - s + st - 1) / st : 0
            } else {
                s = min(max(s, 0), dim - 1)
                e = min(max(e, -1), dim - 1)
                shape[a] = s > e ? (s - e - st - 1) / (-st) : 0
            }
            first[a] = s
            step[a] = st
        }
        let st = Broadcast.strides(x.shape)
        let n = shape.reduce(1, *)
        var offsets = [Int](repeating: 0, count: n)
        if n > 0 {
            let r = x.rank
            var idx = [Int](repeating: 0, count: r)
            let base = (0..<r).reduce(0) { $0 + first[$1] * st[$1] }
            var off = base
            for o in 0..<n {
                offsets[o] = off
                var d = r - 1
                while d >= 0 {
                    idx[d] += 1
                    off += step[d] * st[d]
                    if idx[d] < shape[d] { break }
                    off -= step[d] * st[d] * shape[d]
                    idx[d] = 0
                    d -= 1
                }
            }
        }
        return [x.gathered(offsets, shape: shape)]
    }

    static func gather(_ c: OpContext) throws -> [Tensor] {
        let data = try c.input(0)
        let indicesTensor = try c.input(1)
        let idx = try c.intInput(1)
        let axis = try c.axis(c.int("axis", 0), rank: data.rank)
        let dim = data.shape[axis]
        let outer = data.shape[..<axis].reduce(1, *), inner = data.shape[(axis + 1)...].reduce(1, *)
        var fixed = idx
        for k in fixed.indices {
            if fixed[k] < 0 { fixed[k] += dim }
            guard fixed[k] >= 0 && fixed[k] < dim else { throw c.fail("index \(idx[k]) is out of range for dimension \(axis) of size \(dim)") }
        }
        let shape = Array(data.shape[..<axis]) + indicesTensor.shape + Array(data.shape[(axis + 1)...])
        var offsets: [Int] = []
        offsets.reserveCapacity(outer * fixed.count * inner)
        for o in 0..<outer {
            for i in fixed {
                let base = (o * dim + i) * inner
                offsets.append(contentsOf: base..<(base + inner))
            }
        }
        return [data.gathered(offsets, shape: shape)]
    }

    static func tile(_ c: OpContext) throws -> [Tensor] {
        let x = try c.input(0)
        let reps = try c.intInput(1)
        guard reps.count == x.rank, reps.allSatisfy({ $0 >= 0 }) else { throw c.fail("repeats \(reps) do not fit a rank-\(x.rank) input") }
        let out = zip(x.shape, reps).map { $0 * $1 }
        let st = Broadcast.strides(x.shape), ost = Broadcast.strides(out)
        let n = out.reduce(1, *)
        let offsets = (0..<n).map { o in
            (0..<x.rank).reduce(0) { acc, d in acc + ((o / ost[d]) % out[d] % x.shape[d]) * st[d] }
        }
        return [x.gathered(offsets, shape: out)]
    }

    static func pad(_ c: OpContext) throws -> [Tensor] {
        let x = try c.input(0)
        let r = x.rank
        let mode = c.string("mode", "constant")
        var pads = try c.optionalIntInput(1) ?? c.ints("pads") ?? []
        if let axes = try c.optionalIntInput(3) {
            let norm = try axes.map { try c.axis($0, rank: r) }
            guard pads.count == 2 * norm.count else { throw c.fail("has \(pads.count) pads for \(norm.count) axes") }
            var full = [Int](repeating: 0, count: 2 * r)
            for (k, a) in norm.enumerated() { full[a] = pads[k]; full[a + r] = pads[k + norm.count] }
            pads = full
        }
        guard pads.count == 2 * r else { throw c.fail("has \(pads.count) pads for a rank-\(r) input") }
        let out = (0..<r).map { x.shape[$0] + pads[$0] + pads[$0 + r] }
        guard out.allSatisfy({ $0 >= 0 }) else { throw c.fail("pads \(pads) make a negative dimension of \(x.shape)") }
        let st = Broadcast.strides(x.shape), ost = Broadcast.strides(out)
        let n = out.reduce(1, *)
        // -1: the constant; otherwise the source offset.
        var offsets = [Int](repeating: -1, count: n)
        for o in 0..<n {
            var off = 0
            var inside = true
            for d in 0..<r {
                var i = (o / ost[d]) % out[d] - pads[d]
                let dim = x.shape[d]
                if i < 0 || i >= dim {
                    switch mode {
                    case "edge": i = min(max(i, 0), dim - 1)
                    case "reflect":
                        guard dim > 1 else { i = 0; break }
                        let period = 2 * (dim - 1)
                        i = ((i % period) + period) % period
                        if i >= dim { i = period - i }
                    default: inside = false
                    }
                }
                if !inside { break }
                off += i * st[d]
            }
            offsets[o] = inside ? off : -1
        }
        guard mode == "constant" || mode == "edge" || mode == "reflect" else { throw c.fail("mode '\(mode)' is not constant, reflect or edge") }
        switch x.storage {
        case .float(let v):
            let k = c.optionalInput(2)?.asFloats.first ?? c.float("value", 0)
            return [Tensor(floats: offsets.map { $0 < 0 ? k : v[$0] }, shape: out, dtype: x.dtype)]
        case .int(let v):
            let k = c.optionalInput(2)?.ints?.first ?? 0
            return [Tensor(ints: offsets.map { $0 < 0 ? k : v[$0] }, shape: out, dtype: x.dtype)]
        }
    }

    static let indexingKernels: [String: Kernel] = [
        "Concat": concat,
        "Split": split,
        "Slice": slice,
        "Gather": gather,
        "Tile": tile,
        "Pad": pad,
    ]
}
