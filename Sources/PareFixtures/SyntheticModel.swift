import Foundation
import PareBasics
import PareFormats
import PareTensor

/// Seeded synthetic models for demos, tests and benchmarks: a small transformer-shaped set of weights
/// (embedding, per-layer attention and MLP matrices, 1-D norms and biases) with Gaussian values.
public struct SyntheticModel: Sendable {
    public var layers: Int
    public var width: Int
    public var vocab: Int
    public var seed: UInt64
    /// Element type of the weights (float32, float16 or bfloat16).
    public var dtype: DType = .float32

    public init(layers: Int, width: Int, vocab: Int, seed: UInt64) {
        self.layers = layers
        self.width = width
        self.vocab = vocab
        self.seed = seed
    }

    /// The tensors: name and shape, in file order.
    public var tensors: [(name: String, shape: [Int])] {
        var out: [(String, [Int])] = [("embed.weight", [vocab, width])]
        for l in 0..<layers {
            let p = "layers.\(l)."
            out += [
                (p + "attn_norm.weight", [width]),
                (p + "attn.q.weight", [width, width]), (p + "attn.k.weight", [width, width]),
                (p + "attn.v.weight", [width, width]), (p + "attn.o.weight", [width, width]),
                (p + "attn.o.bias", [width]),
                (p + "mlp_norm.weight", [width]),
                (p + "mlp.up.weight", [4 * width, width]), (p + "mlp.up.bias", [4 * width]),
                (p + "mlp.down.weight", [width, 4 * width]), (p + "mlp.down.bias", [width]),
            ]
        }
        out.append(("norm.weight", [width]))
        out.append(("lm_head.weight", [vocab, width]))
        return out
    }

    /// The float values of tensor `index`; `variant` ≠ 0 gives different values for the same tensor
    /// (to simulate a fine-tuned update of one tensor).
    public func values(index: Int, variant: UInt64 = 0) -> [Float] {
        let (name, shape) = tensors[index]
        let n = shape.reduce(1, *)
        var rng = SplitMix64(seed: seed &+ UInt64(index) &* 0x9E37_79B9 &+ variant &* 0x1234_5678_9ABC)
        if name.hasSuffix("norm.weight") {
            return (0..<n).map { _ in 1 + 0.05 * rng.gaussian() }
        }
        let std: Float = shape.count == 1 ? 0.01 : 1 / Float(shape.last!).squareRoot()
        return (0..<n).map { _ in std * rng.gaussian() }
    }

    /// Writes the model as safetensors. `variants` maps tensor names to a variant number (see `values`).
    public func write(to path: String, variants: [String: UInt64] = [:]) throws {
        let entries = tensors.enumerated().map { i, t -> SafetensorsWriter.Entry in
            let v = values(index: i, variant: variants[t.name] ?? 0)
            let bytes: [UInt8]
            switch dtype {
            case .float16: bytes = v.flatMap { withUnsafeBytes(of: Float16Bits.encode($0).littleEndian) { Array($0) } }
            case .bfloat16: bytes = v.flatMap { withUnsafeBytes(of: UInt16(truncatingIfNeeded: ($0.bitPattern &+ 0x7FFF &+ (($0.bitPattern >> 16) & 1)) >> 16).littleEndian) { Array($0) } }
            default: bytes = v.withUnsafeBytes { Array($0) }
            }
            return .init(name: t.name, dtype: dtype == .float16 || dtype == .bfloat16 ? dtype : .float32, shape: Shape(t.shape), source: .bytes(bytes))
        }
        try SafetensorsWriter.write(to: path, entries: entries, metadata: ["format": "pt", "generator": "pare SyntheticModel seed \(seed)"])
    }

    /// Total float32 bytes.
    public var float32Bytes: Int { tensors.reduce(0) { $0 + 4 * $1.shape.reduce(1, *) } }
}

extension SplitMix64 {
    /// Uniform in [0, 1).
    mutating func uniform() -> Float { Float(next() >> 40) / Float(1 << 24) }
    /// Standard normal (Box–Muller).
    mutating func gaussian() -> Float {
        let u1 = max(uniform(), 1e-7), u2 = uniform()
        return (-2 * logf(u1)).squareRoot() * cosf(2 * .pi * u2)
    }
}

/// float32 → IEEE binary16 bits, round to nearest even (for fixture generation only).
enum Float16Bits {
    static func encode(_ f: Float) -> UInt16 {
        #if arch(x86_64) || arch(arm64)
        return Float16(f).bitPattern
        #else
        fatalError("Float16 unavailable")
        #endif
    }
}
