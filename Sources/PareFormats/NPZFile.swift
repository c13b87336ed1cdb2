/// An `.npz` file (what `numpy.savez` and `numpy.savez_compressed` write): a zip archive whose members are
/// `.npy` arrays, each named `<key>.npy`.
///
/// Opening it validates the archive (see `ZipArchive`) and the `.npy` header of every member (see `NPYHeader`;
/// for a DEFLATED member only the header's bytes are inflated), so shapes and dtypes are known without reading
/// any data. Every member must be named `<key>.npy` with a non-empty key. Reading an array verifies the
/// member's CRC-32 (on every read); a STORED member in C order is a view into the file's mapping (no copy).
public final class NPZFile: @unchecked Sendable {
    public let path: String
    public let archive: ZipArchive
    /// The keys (member names without `.npy`), sorted.
    public let keys: [String]
    private let headers: [String: NPYHeader]

    /// Opens and validates `path`.
    /// - Throws: `FormatError` naming the file and member when it is not a valid `.npz`.
    public init(path: String, maxMemberSize: Int = ZipArchive.defaultMaxMemberSize) throws {
        self.path = path
        archive = try ZipArchive(path: path, maxMemberSize: maxMemberSize)
        var headers: [String: NPYHeader] = [:]
        for e in archive.entries {
            guard e.name.hasSuffix(".npy"), e.name.count > 4 else {
                throw FormatError(file: path, message: "member '\(e.name)' is not a .npy array (an .npz holds only '<key>.npy' members); write the file with numpy.savez")
            }
            let key = String(e.name.dropLast(4))
            guard headers[key] == nil else { throw FormatError(file: path, message: "key '\(key)' appears twice") }
            headers[key] = try NPZFile.header(of: e, in: archive)
        }
        self.headers = headers
        keys = headers.keys.sorted()
    }

    /// The header of the array `key`, or nil when there is no such key.
    public func header(_ key: String) -> NPYHeader? { headers[key] }

    /// Reads the array `key` (CRC-32 verified).
    /// - Throws: `FormatError` naming the file and member when the key is missing or the member is corrupt.
    public func array(_ key: String) throws -> NPYArray {
        guard headers[key] != nil, let entry = archive[key + ".npy"] else {
            throw FormatError(file: path, message: "has no array '\(key)' (keys: \(NPZFile.preview(keys)))")
        }
        let buffer = try archive.contents(of: entry)
        return try buffer.withBytes { try NPYArray.read($0, owner: buffer, file: path, member: entry.name) }
    }

    /// Parses a member's `.npy` header from its first bytes (inflating only those for a DEFLATED member).
    private static func header(of e: ZipEntry, in archive: ZipArchive) throws -> NPYHeader {
        let total = e.uncompressedSize
        let first = try archive.prefix(of: e, count: 12)
        let end = try first.withUnsafeBytes { try NPYHeader.headerEnd(prefix: $0, totalSize: total, file: archive.path, member: e.name) }
        let head = try archive.prefix(of: e, count: end)
        return try head.withUnsafeBytes { try NPYHeader.parse($0, totalSize: total, file: archive.path, member: e.name) }
    }

    /// The first few keys, for messages.
    static func preview(_ keys: [String]) -> String {
        keys.isEmpty ? "none" : keys.prefix(5).joined(separator: ", ") + (keys.count > 5 ? ", … (\(keys.count) in all)" : "")
    }
}
