/// One member of a zip archive, from its central directory entry (sizes and offsets from the zip64 extra field
/// where the 32-bit fields hold 0xFFFFFFFF), checked against its local header.
public struct ZipEntry: Sendable, Hashable {
    /// The member's name (UTF-8), validated by `ZipArchive`.
    public var name: String
    /// How the member is stored: 0 STORED or 8 DEFLATED (the only methods read).
    public var method: Int
    /// CRC-32 of the uncompressed contents.
    public var crc32: UInt32
    /// Bytes stored in the archive.
    public var compressedSize: Int
    /// Bytes after inflating (equal to `compressedSize` for STORED members).
    public var uncompressedSize: Int
    /// Offset of the member's local header in the archive.
    public var localHeaderOffset: Int
    /// Offset of the member's first stored byte (after the local header, its name and extra field).
    public var dataOffset: Int

    public static let stored = 0
    public static let deflated = 8

    public init(name: String, method: Int, crc32: UInt32, compressedSize: Int, uncompressedSize: Int,
                localHeaderOffset: Int, dataOffset: Int) {
        self.name = name
        self.method = method
        self.crc32 = crc32
        self.compressedSize = compressedSize
        self.uncompressedSize = uncompressedSize
        self.localHeaderOffset = localHeaderOffset
        self.dataOffset = dataOffset
    }

    /// The stored bytes' range in the archive.
    public var dataRange: Range<Int> { dataOffset..<dataOffset + compressedSize }
}
