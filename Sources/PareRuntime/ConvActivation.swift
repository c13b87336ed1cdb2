/// The activation a Conv applies to its output when a load-time rewrite fused the Relu or Clip that followed it
/// (`InterpreterRewrites`). Each case computes exactly what the fused op's kernel computes on float values:
/// Relu y > 0 ? y : 0 (NaN → 0, as the Relu kernel) · Clip y < lo ? lo : (y > hi ? hi : y) (NaN stays NaN).
enum ConvActivation: Equatable, Sendable {
    case none
    case relu
    case clip(lo: Float, hi: Float)

    /// Writes act(y[j] + bias) over `count` values in place (act(y[j]) when the Conv has no bias), one pass.
    @inline(__always)
    func apply(_ y: UnsafeMutablePointer<Float>, count: Int, bias: Float?) {
        if let b = bias {
            switch self {
            case .none: for j in 0..<count { y[j] += b }
            case .relu: for j in 0..<count { let v = y[j] + b; y[j] = v > 0 ? v : 0 }
            case .clip(let lo, let hi): for j in 0..<count { let v = y[j] + b; y[j] = v < lo ? lo : (v > hi ? hi : v) }
            }
        } else {
            switch self {
            case .none: break
            case .relu: for j in 0..<count { let v = y[j]; y[j] = v > 0 ? v : 0 }
            case .clip(let lo, let hi): for j in 0..<count { let v = y[j]; y[j] = v < lo ? lo : (v > hi ? hi : v) }
            }
        }
    }
}
