import Foundation
import PareBasics

/// The action cache: action key → the JSON record of what the action produced, under
/// `<root>/<namespace>/ab/cdef….json`. Two namespaces are used: `actions` (whole steps) and `tensors`
/// (one tensor of a per-tensor pass). Records are written atomically; a record that cannot be decoded is a miss.
public final class ActionCache: @unchecked Sendable {
    public let dir: String

    public init(root: String, namespace: String) throws {
        dir = root + "/" + namespace
        try AtomicFile.createDirectory(dir)
    }

    public func path(for key: Digest) -> String {
        let h = key.hex
        return "\(dir)/\(h.prefix(2))/\(h.dropFirst(2)).json"
    }

    public func get<T: Decodable>(_ key: Digest, as type: T.Type) -> T? {
        let p = path(for: key)
        guard let data = FileManager.default.contents(atPath: p) else { return nil }
        return try? CanonicalJSON.decode(T.self, from: data)
    }

    public func put<T: Encodable>(_ key: Digest, _ value: T) throws {
        try AtomicFile.write(CanonicalJSON.encode(value, pretty: true), to: path(for: key))
    }

    /// Marks a record as recently used (for `cache gc`).
    public func touch(_ key: Digest) { FileStat.touch(path(for: key)) }
}
