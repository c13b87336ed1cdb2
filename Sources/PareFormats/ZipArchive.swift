/// A zip archive (such as an `.npz`), memory-mapped and validated: its end-of-central-directory record (and
/// zip64 records when present), every central directory entry and the local header each points to.
///
/// Reads only single-disk archives whose members are STORED (method 0) or DEFLATED (method 8), unencrypted.
/// The checks, all before any member is read (see `parseDirectory`): every offset and size lies inside the file
/// and is free of overflow; the central directory's entry count and size agree with its entries; each local
/// header's signature, name and method agree with its central entry; members do not overlap one another or the
/// central directory; names are unique, valid UTF-8 relative paths (no empty, `.` or `..` component, no leading
/// `/`, no backslash, no control character); a STORED member's sizes are equal; a DEFLATED member declares at
/// most `maxMemberSize` bytes and no more than deflate's ratio limit (1032:1) allows. Reading a member
/// verifies its CRC-32, and a DEFLATED member must inflate to exactly its declared size (so a zip bomb is cut
/// off at the declared size).
public final class ZipArchive: @unchecked Sendable {
    public let path: String
    /// The members, in central directory order.
    public let entries: [ZipEntry]
    /// The largest DEFLATED member accepted (inflated size), in bytes.
    public let maxMemberSize: Int
    let file: ONNXMappedFile
    private let index: [String: Int]

    /// 4 GiB: larger members are refused before any memory is allocated for them.
    public static let defaultMaxMemberSize = 4 << 30

    /// Maps and validates the archive at `path`.
    /// - Throws: `FormatError` naming the file (and member) when it cannot be read or is not a valid archive.
    public init(path: String, maxMemberSize: Int = ZipArchive.defaultMaxMemberSize) throws {
        self.path = path
        self.maxMemberSize = maxMemberSize
        file = try ONNXMappedFile(path: path, reportAs: path, what: nil)
        entries = try ZipArchive.parseDirectory(file.bytes, path: path, maxMemberSize: maxMemberSize)
        var index: [String: Int] = [:]
        for (i, e) in entries.enumerated() { index[e.name] = i }
        self.index = index
    }

    /// The archive's size in bytes.
    public var size: Int { file.size }

    public subscript(name: String) -> ZipEntry? { index[name].map { entries[$0] } }

    /// Calls `body` with the whole archive's bytes (the mapping), e.g. to hash it.
    public func withArchiveBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(file) { try body(file.bytes) }
    }

    /// The member's contents, CRC-32 verified: a view into the mapping for a STORED member (no copy), an
    /// inflated buffer for a DEFLATED one. `entry` must come from this archive.
    /// - Throws: `FormatError` naming the file and member for a CRC mismatch or bad deflate data.
    public func contents(of entry: ZipEntry) throws -> NPYBuffer {
        let stored = UnsafeRawBufferPointer(rebasing: file.bytes[entry.dataRange])
        let buffer: NPYBuffer
        if entry.method == ZipEntry.stored {
            buffer = NPYBuffer(view: stored, owner: file)
        } else {
            buffer = try NPYBuffer(count: entry.uncompressedSize) { out in
                _ = try ZipArchive.inflate(stored, into: out, whole: true, path: path, member: entry.name)
            }
        }
        let crc = ZipArchive.crc32(buffer.bytes)
        guard crc == entry.crc32 else {
            throw error(entry.name, "CRC-32 is 0x\(String(crc, radix: 16)) but the archive records 0x\(String(entry.crc32, radix: 16)); the member is corrupt — write the file again")
        }
        return buffer
    }

    /// The first `min(count, uncompressedSize)` bytes of the member's contents (not CRC-checked: that needs
    /// the whole member); inflates only what it needs.
    public func prefix(of entry: ZipEntry, count: Int) throws -> [UInt8] {
        let n = min(count, entry.uncompressedSize)
        let stored = UnsafeRawBufferPointer(rebasing: file.bytes[entry.dataRange])
        if entry.method == ZipEntry.stored { return Array(stored[0..<n]) }
        var out = [UInt8](repeating: 0, count: n)
        try out.withUnsafeMutableBytes { o in
            _ = try ZipArchive.inflate(stored, into: o, whole: false, path: path, member: entry.name)
        }
        return out
    }

    func error(_ member: String?, _ message: String) -> FormatError { ZipArchive.error(path, member, message) }

    static func error(_ path: String, _ member: String?, _ message: String) -> FormatError {
        FormatError(file: path, message: (member.map { "member '\($0)': " } ?? "") + message)
    }
}
