import Foundation
import PareBasics
import PareRecipe

/// The components of a step's action key. The key is the SHA-256 of their canonical JSON; the components
/// are written beside the result so `pare explain` can say which one changed.
public struct ActionKeyComponents: Sendable, Hashable, Codable {
    /// "import", "pass" or "bundle".
    public var kind: String
    /// The pass name and version ("quantize", 1); for import and bundle, the action's own name and version.
    public var action: String
    public var actionVersion: Int
    /// The resolved configuration (canonical JSON object), if any.
    public var config: JSONValue?
    /// Digests of the inputs, by role ("model", "source", ...).
    public var inputs: [String: String]
    /// The target-profile fields the action reads.
    public var targetFields: [String: JSONValue]
    public var kernelVersion: Int
    /// Changing the salt invalidates every cached result (`PARE_CACHE_SALT`).
    public var salt: String

    public var key: Digest { (try? CanonicalJSON.digest(self)) ?? Digest.of("unencodable") }

    /// The names of the components that differ from `old`, with dotted paths inside config and inputs.
    public func differences(from old: ActionKeyComponents) -> [String] {
        var out: [String] = []
        if kind != old.kind { out.append("kind: \(old.kind) → \(kind)") }
        if action != old.action { out.append("action: \(old.action) → \(action)") }
        if actionVersion != old.actionVersion { out.append("\(action) version: \(old.actionVersion) → \(actionVersion)") }
        if kernelVersion != old.kernelVersion { out.append("kernel version: \(old.kernelVersion) → \(kernelVersion)") }
        if salt != old.salt { out.append("salt: '\(old.salt)' → '\(salt)'") }
        out += JSONValue.differences(old: old.config ?? .null, new: config ?? .null, path: "config")
        for k in Set(inputs.keys).union(old.inputs.keys).sorted() where inputs[k] != old.inputs[k] {
            out.append("input \(k): \(old.inputs[k].map { String($0.prefix(12)) } ?? "none") → \(inputs[k].map { String($0.prefix(12)) } ?? "none")")
        }
        out += JSONValue.differences(old: .object(old.targetFields), new: .object(targetFields), path: "target")
        return out
    }
}

/// A JSON value, for configs and target fields inside keys (with stable ordering and dotted-path diffs).
public indirect enum JSONValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// Converts any Encodable value through its canonical JSON.
    public static func from<T: Encodable>(_ value: T) -> JSONValue {
        guard let d = try? CanonicalJSON.encode(value), let v = try? CanonicalJSON.decode(JSONValue.self, from: d) else { return .null }
        return v
    }

    public var description: String {
        guard let d = try? CanonicalJSON.encode(self) else { return "?" }
        return String(decoding: d, as: UTF8.self)
    }

    static func differences(old: JSONValue, new: JSONValue, path: String) -> [String] {
        switch (old, new) {
        case (.object(let a), .object(let b)):
            var out: [String] = []
            for k in Set(a.keys).union(b.keys).sorted() {
                out += differences(old: a[k] ?? .null, new: b[k] ?? .null, path: path + "." + k)
            }
            return out
        default:
            return old == new ? [] : ["\(path): \(old) → \(new)"]
        }
    }
}
