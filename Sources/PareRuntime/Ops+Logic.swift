/// Comparisons and logic, with numpy broadcasting; results are bool. Equal / Less / Greater / LessOrEqual /
/// GreaterOrEqual compare two tensors of one element type; Not / And / Or / Xor work on bools;
/// Where(cond, x, y) picks x where cond is true, else y (three-way broadcasting).
extension Ops {
    static func compare(_ c: OpContext, _ f: @escaping (Float, Float) -> Bool, _ g: @escaping (Int64, Int64) -> Bool) throws -> [Tensor] {
        let a = try c.input(0), b = try c.input(1)
        let out = try broadcastShape(c, a, b)
        switch (a.storage, b.storage) {
        case (.float(let x), .float(let y)):
            return [Tensor(ints: Broadcast.binary(x, a.shape, y, b.shape, out: out) { f($0, $1) ? 1 : 0 }, shape: out, dtype: .bool)]
        case (.int(let x), .int(let y)):
            return [Tensor(ints: Broadcast.binary(x, a.shape, y, b.shape, out: out) { g($0, $1) ? 1 : 0 }, shape: out, dtype: .bool)]
        default:
            throw c.fail("compares \(a.dtype) with \(b.dtype)")
        }
    }

    static func logic(_ c: OpContext, _ f: @escaping (Bool, Bool) -> Bool) throws -> [Tensor] {
        let a = try c.input(0), b = try c.input(1)
        guard let x = a.ints, let y = b.ints else { throw c.fail("needs bool inputs, got \(a.dtype) and \(b.dtype)") }
        let out = try broadcastShape(c, a, b)
        return [Tensor(ints: Broadcast.binary(x, a.shape, y, b.shape, out: out) { f($0 != 0, $1 != 0) ? 1 : 0 }, shape: out, dtype: .bool)]
    }

    static func whereOp(_ c: OpContext) throws -> [Tensor] {
        let cond = try c.input(0), x = try c.input(1), y = try c.input(2)
        guard let cv = cond.ints else { throw c.fail("condition is \(cond.dtype); expected bool") }
        guard let s1 = Broadcast.shape(cond.shape, x.shape), let out = Broadcast.shape(s1, y.shape) else {
            throw c.fail("cannot broadcast shapes \(cond.shape), \(x.shape) and \(y.shape)")
        }
        let oc = Broadcast.offsets(cond.shape, to: out), ox = Broadcast.offsets(x.shape, to: out), oy = Broadcast.offsets(y.shape, to: out)
        let n = out.reduce(1, *)
        switch (x.storage, y.storage) {
        case (.float(let a), .float(let b)):
            return [Tensor(floats: (0..<n).map { cv[oc[$0]] != 0 ? a[ox[$0]] : b[oy[$0]] }, shape: out, dtype: x.dtype)]
        case (.int(let a), .int(let b)):
            return [Tensor(ints: (0..<n).map { cv[oc[$0]] != 0 ? a[ox[$0]] : b[oy[$0]] }, shape: out, dtype: x.dtype)]
        default:
            throw c.fail("mixes \(x.dtype) and \(y.dtype) inputs")
        }
    }

    static let logicKernels: [String: Kernel] = [
        "Equal": { try compare($0, { $0 == $1 }, { $0 == $1 }) },
        "Less": { try compare($0, { $0 < $1 }, { $0 < $1 }) },
        "Greater": { try compare($0, { $0 > $1 }, { $0 > $1 }) },
        "LessOrEqual": { try compare($0, { $0 <= $1 }, { $0 <= $1 }) },
        "GreaterOrEqual": { try compare($0, { $0 >= $1 }, { $0 >= $1 }) },
        "And": { try logic($0, { $0 && $1 }) },
        "Or": { try logic($0, { $0 || $1 }) },
        "Xor": { try logic($0, { $0 != $1 }) },
        "Not": { c in
            let t = try c.input(0)
            guard let v = t.ints else { throw c.fail("needs a bool input, got \(t.dtype)") }
            return [Tensor(ints: v.map { $0 == 0 ? 1 : 0 }, shape: t.shape, dtype: .bool)]
        },
        "Where": whereOp,
    ]
}
