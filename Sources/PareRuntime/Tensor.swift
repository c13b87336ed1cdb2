import PareKernels
import PareTensor

/// A value the interpreter computes with: an element type, a shape and the elements in row-major order.
///
/// Floating-point types (float32, float16, bfloat16, float64) are held as `Float` values; a float16 or bfloat16
/// tensor's values are always representable in that type (the factories round to nearest even), so an op that
/// runs "in float16" is computed in float32 and rounded once per op. Every integer type and bool is held as
/// `Int64` (bool as 0 / 1; int4 / uint4 unpacked, one value per element). This keeps every kernel to two element
/// types; quantized weights cost 8 bytes per element while they are held (the interpreter is a reference, not a
/// deployment runtime).
public struct Tensor: Sendable, CustomStringConvertible {
    public enum Storage: Sendable {
        case float([Float])
        case int([Int64])
    }

    public var dtype: DType
    public var shape: [Int]
    public var storage: Storage

    /// A float tensor; float16 / bfloat16 values are rounded to that type. Precondition: `values.count` is the
    /// product of `shape`.
    public init(floats values: [Float], shape: [Int], dtype: DType = .float32) {
        precondition(dtype.isFloatingPoint, "Tensor(floats:) needs a floating-point dtype, not \(dtype)")
        precondition(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
        self.dtype = dtype
        self.shape = shape
        switch dtype {
        case .float16: storage = .float(Tensor.roundToFloat16(values))
        case .bfloat16: storage = .float(Tensor.roundToBFloat16(values))
        default: storage = .float(values)
        }
    }

    /// An integer (or bool) tensor. Precondition: `values.count` is the product of `shape`.
    public init(ints values: [Int64], shape: [Int], dtype: DType = .int64) {
        precondition(!dtype.isFloatingPoint, "Tensor(ints:) needs an integer dtype, not \(dtype)")
        precondition(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
        self.dtype = dtype
        self.shape = shape
        storage = .int(values)
    }

    /// A tensor from parts already consistent with each other (values rounded to `dtype`, count matching).
    init(dtype: DType, shape: [Int], storage: Storage) {
        self.dtype = dtype
        self.shape = shape
        self.storage = storage
    }

    /// `n` floats whose values are unspecified, for a kernel that writes every element (skips zeroing large
    /// buffers on every run).
    static func uninitializedFloats(_ n: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: n) { _, count in count = n }
    }

    /// A float32 scalar (rank 0).
    public static func scalar(_ v: Float) -> Tensor { Tensor(floats: [v], shape: []) }

    public var count: Int { shape.reduce(1, *) }
    public var rank: Int { shape.count }

    /// The float values, or nil for an integer tensor.
    public var floats: [Float]? { if case .float(let f) = storage { return f } else { return nil } }
    /// The integer values, or nil for a float tensor.
    public var ints: [Int64]? { if case .int(let i) = storage { return i } else { return nil } }

    /// Every value as Float (integers converted).
    public var asFloats: [Float] {
        switch storage {
        case .float(let f): return f
        case .int(let i): return i.map { Float($0) }
        }
    }

    public var description: String { "\(dtype)\(shape)" }

    /// Float16 round trip (round to nearest even).
    static func roundToFloat16(_ v: [Float]) -> [Float] {
        v.withUnsafeBufferPointer { HalfPrecision.toFloat16Reference($0) }.withUnsafeBufferPointer { HalfPrecision.fromFloat16($0) }
    }

    /// BFloat16 round trip (round to nearest even).
    static func roundToBFloat16(_ v: [Float]) -> [Float] {
        v.withUnsafeBufferPointer { HalfPrecision.toBFloat16Reference($0) }.withUnsafeBufferPointer { HalfPrecision.fromBFloat16($0) }
    }
}
