/// Weight quantization kernels: Float matrix → integer codes + per-block scales and zero points.
///
/// The exact rules (ranges, zero points, the scale-0 block, `inv = 1/scale` computed once per block as a Float,
/// round-half-to-even, clamping, NaN as 0) are documented on ``QuantScheme``. ``reference(_:rows:cols:scheme:)``
/// is a plain scalar implementation of those rules; ``fast(_:rows:cols:scheme:threads:)`` produces the same
/// bytes, scales and zero points bit for bit with vectorizable loops, parallel over rows.
public enum Quantizer {}
