import Foundation

/// Elementwise binary and variadic arithmetic with numpy broadcasting. Both operands have the same element type
/// (float, or integer). Add a + b · Sub a − b · Mul a · b · Div a / b (integers: truncated toward zero; a zero
/// divisor is an error) · Mod (fmod = 1: C fmod; fmod = 0: integer remainder with the divisor's sign) ·
/// Pow aᵇ (float base; float or integer exponent; b = 2 computed as a · a) · PRelu x ≥ 0 ? x : slope · x ·
/// Max / Min / Sum / Mean over one or more inputs.
extension Ops {
    /// Broadcast output shape of inputs `i` and `j`.
    static func broadcastShape(_ c: OpContext, _ a: Tensor, _ b: Tensor) throws -> [Int] {
        guard let s = Broadcast.shape(a.shape, b.shape) else { throw c.fail("cannot broadcast shapes \(a.shape) and \(b.shape)") }
        return s
    }

    @inline(__always)
    static func arithmetic(_ c: OpContext, _ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float, _ g: ((Int64, Int64) -> Int64)?) throws -> Tensor {
        let out = try broadcastShape(c, a, b)
        switch (a.storage, b.storage) {
        case (.float(let x), .float(let y)):
            return Tensor(floats: Broadcast.binary(x, a.shape, y, b.shape, out: out, f), shape: out, dtype: a.dtype)
        case (.int(let x), .int(let y)):
            guard let g else { throw c.fail("is not defined on integer inputs (\(a.dtype))") }
            return Tensor(ints: Broadcast.binary(x, a.shape, y, b.shape, out: out, g), shape: out, dtype: a.dtype)
        default:
            throw c.fail("mixes \(a.dtype) and \(b.dtype) inputs")
        }
    }

    @inline(__always)
    static func binary(_ c: OpContext, _ f: @escaping (Float, Float) -> Float, _ g: ((Int64, Int64) -> Int64)?) throws -> [Tensor] {
        [try arithmetic(c, try c.input(0), try c.input(1), f, g)]
    }

    static func div(_ c: OpContext) throws -> [Tensor] {
        let b = try c.input(1)
        if let y = b.ints, y.contains(0) { throw c.fail("divides integers by zero") }
        return try binary(c, { $0 / $1 }, { $0 / $1 })
    }

    static func mod(_ c: OpContext) throws -> [Tensor] {
        let b = try c.input(1)
        if let y = b.ints, y.contains(0) { throw c.fail("takes an integer remainder by zero") }
        if c.int("fmod", 0) != 0 { return try binary(c, { fmodf($0, $1) }, { $0 % $1 }) }
        return try binary(c, { x, y in
            let r = fmodf(x, y)
            return r != 0 && (r < 0) != (y < 0) ? r + y : r
        }, { x, y in
            let r = x % y
            return r != 0 && (r < 0) != (y < 0) ? r + y : r
        })
    }

    static func pow(_ c: OpContext) throws -> [Tensor] {
        let a = try c.input(0), b = try c.input(1)
        guard let x = a.floats else { throw c.fail("has an integer base (\(a.dtype)); pare's interpreter computes Pow on float bases") }
        let y = b.asFloats
        let out = try broadcastShape(c, a, b)
        if y.count == 1 && y[0] == 2 {
            return [Tensor(floats: x.map { $0 * $0 }, shape: out, dtype: a.dtype)]
        }
        return [Tensor(floats: Broadcast.binary(x, a.shape, y, b.shape, out: out) { Foundation.pow($0, $1) }, shape: out, dtype: a.dtype)]
    }

    static func variadic(_ c: OpContext, _ f: @escaping (Float, Float) -> Float, _ g: ((Int64, Int64) -> Int64)?) throws -> Tensor {
        let present = c.inputs.compactMap { $0 }
        guard var acc = present.first else { throw c.fail("needs at least one input") }
        for t in present.dropFirst() { acc = try arithmetic(c, acc, t, f, g) }
        return acc
    }

    static let binaryKernels: [String: Kernel] = [
        "Add": { try binary($0, { $0 + $1 }, { $0 &+ $1 }) },
        "Sub": { try binary($0, { $0 - $1 }, { $0 &- $1 }) },
        "Mul": { try binary($0, { $0 * $1 }, { $0 &* $1 }) },
        "Div": div,
        "Mod": mod,
        "Pow": pow,
        "PRelu": { try binary($0, { $0 >= 0 ? $0 : $0 * $1 }, nil) },
        "Max": { [try variadic($0, { $0.isNaN || $1.isNaN ? .nan : max($0, $1) }, { max($0, $1) })] },
        "Min": { [try variadic($0, { $0.isNaN || $1.isNaN ? .nan : min($0, $1) }, { min($0, $1) })] },
        "Sum": { [try variadic($0, { $0 + $1 }, { $0 &+ $1 })] },
        "Mean": { c in
            let s = try variadic(c, { $0 + $1 }, nil)
            let n = Float(c.inputs.compactMap { $0 }.count)
            return [Tensor(floats: s.floats!.map { $0 / n }, shape: s.shape, dtype: s.dtype)]
        },
    ]
}
