/// The resolved, typed configuration of one pass (every default filled in).
///
/// Codable as `{"<pass name>": {config}}` with sorted keys through `CanonicalJSON`, so that it can be hashed
/// into cache keys: two configs that behave the same encode to the same bytes.
public enum PassConfig: Sendable, Hashable, Codable {
    case quantize(QuantizeConfig)
    case cast(CastConfig)
    case prune(PruneConfig)
    case fold(FoldConfig)
    case palettize(PalettizeConfig)
    case lowrank(LowRankConfig)
    case distill(DistillConfig)
    case gptq(GPTQConfig)
    case mixedPrecision(MixedPrecisionConfig)

    /// The pass names this version knows, in the order they are documented.
    public static let passNames = ["quantize", "cast", "prune", "fold", "palettize", "lowrank", "distill", "gptq", "mixed-precision"]

    /// The name used in recipes: `"quantize"`, `"cast"`, `"prune"`, `"fold"`, ...
    public var passName: String {
        switch self {
        case .quantize: return "quantize"
        case .cast: return "cast"
        case .prune: return "prune"
        case .fold: return "fold"
        case .palettize: return "palettize"
        case .lowrank: return "lowrank"
        case .distill: return "distill"
        case .gptq: return "gptq"
        case .mixedPrecision: return "mixed-precision"
        }
    }

    /// The tensors the pass works on.
    public var selection: TensorSelection {
        switch self {
        case .quantize(let c): return c.selection
        case .cast(let c): return c.selection
        case .prune(let c): return c.selection
        case .fold: return TensorSelection()
        case .palettize(let c): return c.selection
        case .lowrank(let c): return c.selection
        case .distill(let c): return c.selection
        case .gptq(let c): return c.selection
        case .mixedPrecision(let c): return c.selection
        }
    }

    /// Whether the pass changes how weights are stored (quantize, cast, palettize, gptq, mixed-precision), as
    /// opposed to their values (prune, distill) or the graph (fold, lowrank, structured prune).
    public var isEncoding: Bool {
        switch self {
        case .quantize, .cast, .palettize, .gptq, .mixedPrecision: return true
        case .prune, .fold, .lowrank, .distill: return false
        }
    }

    /// Whether the pass loses information (everything but fold and distill), so that distill has something to
    /// recover.
    public var compresses: Bool {
        switch self {
        case .fold, .distill: return false
        default: return true
        }
    }

    /// Whether weights this pass encoded are skipped by later quantize / cast passes rather than being an overlap
    /// error (palettize, gptq, mixed-precision: their encoding is the point).
    public var keepsEncodingFromLaterPasses: Bool {
        switch self {
        case .palettize, .gptq, .mixedPrecision: return true
        default: return false
        }
    }

    /// Whether the pass needs float weights as input, so it must come before every encoding pass.
    public var needsFloatWeights: Bool {
        switch self {
        case .prune, .fold, .lowrank: return true
        default: return false
        }
    }

    /// Whether the pass rewrites the graph or works on the whole model at once (a `ModelPass`), rather than
    /// tensor by tensor.
    public var isModelPass: Bool {
        switch self {
        case .quantize, .cast, .palettize: return false
        case .prune(let c): return c.structure == .channels
        case .fold, .lowrank, .distill, .gptq, .mixedPrecision: return true
        }
    }

    /// Whether the pass runs the model on `data.calibration`.
    public var needsCalibration: Bool {
        switch self {
        case .prune(let c): return c.structure == .channels && c.importance == .activation
        case .distill, .gptq, .mixedPrecision: return true
        default: return false
        }
    }

    /// Whether the pass needs a model graph (an ONNX model; safetensors has none).
    public var needsGraph: Bool {
        switch self {
        case .quantize, .cast, .palettize: return false
        case .prune(let c): return c.structure == .channels
        default: return true
        }
    }

    private struct NameKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: NameKey.self)
        guard c.allKeys.count == 1, let key = c.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "expected exactly one pass name key"))
        }
        switch key.stringValue {
        case "quantize": self = .quantize(try c.decode(QuantizeConfig.self, forKey: key))
        case "cast": self = .cast(try c.decode(CastConfig.self, forKey: key))
        case "prune": self = .prune(try c.decode(PruneConfig.self, forKey: key))
        case "fold": self = .fold(try c.decode(FoldConfig.self, forKey: key))
        case "palettize": self = .palettize(try c.decode(PalettizeConfig.self, forKey: key))
        case "lowrank": self = .lowrank(try c.decode(LowRankConfig.self, forKey: key))
        case "distill": self = .distill(try c.decode(DistillConfig.self, forKey: key))
        case "gptq": self = .gptq(try c.decode(GPTQConfig.self, forKey: key))
        case "mixed-precision": self = .mixedPrecision(try c.decode(MixedPrecisionConfig.self, forKey: key))
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "unknown pass '\(key.stringValue)'"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: NameKey.self)
        let key = NameKey(stringValue: passName)
        switch self {
        case .quantize(let v): try c.encode(v, forKey: key)
        case .cast(let v): try c.encode(v, forKey: key)
        case .prune(let v): try c.encode(v, forKey: key)
        case .fold(let v): try c.encode(v, forKey: key)
        case .palettize(let v): try c.encode(v, forKey: key)
        case .lowrank(let v): try c.encode(v, forKey: key)
        case .distill(let v): try c.encode(v, forKey: key)
        case .gptq(let v): try c.encode(v, forKey: key)
        case .mixedPrecision(let v): try c.encode(v, forKey: key)
        }
    }
}
