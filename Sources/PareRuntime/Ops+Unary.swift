import Foundation

/// Elementwise unary ops on float tensors (float16 / bfloat16 results are rounded to their type). Formulas:
/// Relu max(x, 0) · LeakyRelu x ≥ 0 ? x : αx (α = 0.01) · Elu x > 0 ? x : α(eˣ − 1) (α = 1) ·
/// Selu γ(x > 0 ? x : α(eˣ − 1)) · Sigmoid 1 / (1 + e⁻ˣ) · HardSigmoid max(0, min(1, αx + β)) (α = 0.2, β = 0.5) ·
/// HardSwish x · max(0, min(1, x/6 + 1/2)) · Tanh · Erf · Gelu 0.5x(1 + erf(x/√2)) (approximate = "none") or
/// 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))) ("tanh") · Softplus ln(1 + eˣ) · Softsign x / (1 + |x|) ·
/// Sqrt · Exp · Log · Reciprocal 1/x · Floor · Ceil · Round (half to even) · Sin · Cos · Abs · Neg · Sign (Abs,
/// Neg and Sign also on integers) · Clip min(max(x, lo), hi) with lo / hi as inputs (opset ≥ 11) or attributes
/// (before 11), on floats and integers · Identity and Dropout (inference: the input; Dropout's mask is all true).
extension Ops {
    @inline(__always)
    static func unary(_ c: OpContext, _ f: (Float) -> Float) throws -> [Tensor] {
        let (v, s, dt) = try c.floatInput(0)
        return [Tensor(floats: mapFloats(v, f), shape: s, dtype: dt)]
    }

    /// `v.map(f)` as a plain loop over buffers (vectorizes when `f` is inlined).
    @inline(__always)
    static func mapFloats(_ v: [Float], _ f: (Float) -> Float) -> [Float] {
        let n = v.count
        return [Float](unsafeUninitializedCapacity: n) { buf, count in
            v.withUnsafeBufferPointer { src in
                for i in 0..<n { buf[i] = f(src[i]) }
            }
            count = n
        }
    }

    /// A unary op defined on floats and integers.
    @inline(__always)
    static func signedUnary(_ c: OpContext, _ f: (Float) -> Float, _ g: (Int64) -> Int64) throws -> [Tensor] {
        let t = try c.input(0)
        switch t.storage {
        case .float(let v): return [Tensor(floats: mapFloats(v, f), shape: t.shape, dtype: t.dtype)]
        case .int(let v): return [Tensor(ints: v.map(g), shape: t.shape, dtype: t.dtype)]
        }
    }

    static func clip(_ c: OpContext) throws -> [Tensor] {
        let t = try c.input(0)
        func bound(_ i: Int, _ attr: String) throws -> Tensor? {
            if let b = c.optionalInput(i) {
                guard b.count == 1 else { throw c.fail("\(attr) must be a scalar, got shape \(b.shape)") }
                return b
            }
            return nil
        }
        let lo = try bound(1, "min"), hi = try bound(2, "max")
        switch t.storage {
        case .float(let v):
            let a = lo?.asFloats[0] ?? c.float("min", -Float.greatestFiniteMagnitude)
            let b = hi?.asFloats[0] ?? c.float("max", Float.greatestFiniteMagnitude)
            return [Tensor(floats: mapFloats(v) { x in x < a ? a : (x > b ? b : x) }, shape: t.shape, dtype: t.dtype)]
        case .int(let v):
            let a = lo?.ints?[0] ?? Int64.min, b = hi?.ints?[0] ?? Int64.max
            return [Tensor(ints: v.map { min(max($0, a), b) }, shape: t.shape, dtype: t.dtype)]
        }
    }

    static func gelu(_ c: OpContext) throws -> [Tensor] {
        let approx = c.string("approximate", "none")
        switch approx {
        case "none":
            return try unary(c) { x in 0.5 * x * (1 + erf(x * Float(0.5).squareRoot())) }
        case "tanh":
            let k = Float((2.0 / Double.pi).squareRoot())
            return try unary(c) { x in 0.5 * x * (1 + tanh(k * (x + 0.044715 * x * x * x))) }
        default:
            throw c.fail("approximate '\(approx)' is not 'none' or 'tanh'")
        }
    }

    static let unaryKernels: [String: Kernel] = [
        "Relu": { try signedUnary($0, { $0 > 0 ? $0 : 0 }, { max($0, 0) }) },
        "LeakyRelu": { c in let a = c.float("alpha", 0.01); return try unary(c) { $0 >= 0 ? $0 : a * $0 } },
        "Elu": { c in let a = c.float("alpha", 1); return try unary(c) { $0 > 0 ? $0 : a * (exp($0) - 1) } },
        "Selu": { c in
            let a = c.float("alpha", 1.67326319217681884765625), g = c.float("gamma", 1.05070102214813232421875)
            return try unary(c) { g * ($0 > 0 ? $0 : a * (exp($0) - 1)) }
        },
        "Sigmoid": { try unary($0) { 1 / (1 + exp(-$0)) } },
        "HardSigmoid": { c in
            let a = c.float("alpha", 0.2), b = c.float("beta", 0.5)
            return try unary(c) { max(0, min(1, a * $0 + b)) }
        },
        "HardSwish": { try unary($0) { $0 * max(0, min(1, $0 / 6 + 0.5)) } },
        "Tanh": { try unary($0) { tanh($0) } },
        "Erf": { try unary($0) { erf($0) } },
        "Gelu": gelu,
        "Softplus": { try unary($0) { $0 > 20 ? $0 : log1p(exp($0)) } },
        "Softsign": { try unary($0) { $0 / (1 + abs($0)) } },
        "Sqrt": { try unary($0) { $0.squareRoot() } },
        "Exp": { try unary($0) { exp($0) } },
        "Log": { try unary($0) { log($0) } },
        "Reciprocal": { try unary($0) { 1 / $0 } },
        "Floor": { try unary($0) { $0.rounded(.down) } },
        "Ceil": { try unary($0) { $0.rounded(.up) } },
        "Round": { try unary($0) { $0.rounded(.toNearestOrEven) } },
        "Sin": { try unary($0) { sin($0) } },
        "Cos": { try unary($0) { cos($0) } },
        "Abs": { try signedUnary($0, { abs($0) }, { $0 == .min ? $0 : abs($0) }) },
        "Neg": { try signedUnary($0, { -$0 }, { 0 &- $0 }) },
        "Sign": { try signedUnary($0, { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }, { $0.signum() }) },
        "Clip": clip,
        "Identity": { [try $0.input(0)] },
        "Dropout": { c in
            let x = try c.input(0)
            return c.node.output.count > 1 ? [x, Tensor(ints: [Int64](repeating: 1, count: x.count), shape: x.shape, dtype: .bool)] : [x]
        },
    ]
}
