/// The resolved, typed configuration of one pass (every default filled in).
///
/// Codable as `{"<pass name>": {config}}` with sorted keys through `CanonicalJSON`, so that it can be hashed
/// into cache keys: two configs that behave the same encode to the same bytes.
public enum PassConfig: Sendable, Hashable, Codable {
    case quantize(QuantizeConfig)
    case cast(CastConfig)
    case prune(PruneConfig)

    /// The pass names this version knows, in the order they are documented.
    public static let passNames = ["quantize", "cast", "prune"]

    /// `"quantize"`, `"cast"` or `"prune"`.
    public var passName: String {
        switch self {
        case .quantize: return "quantize"
        case .cast: return "cast"
        case .prune: return "prune"
        }
    }

    /// The tensors the pass works on.
    public var selection: TensorSelection {
        switch self {
        case .quantize(let c): return c.selection
        case .cast(let c): return c.selection
        case .prune(let c): return c.selection
        }
    }

    /// Whether the pass changes how weights are encoded (quantize, cast), as opposed to their values (prune).
    public var isEncoding: Bool {
        switch self {
        case .quantize, .cast: return true
        case .prune: return false
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
        }
    }
}
