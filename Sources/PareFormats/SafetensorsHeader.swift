import PareTensor

/// The validated header of a safetensors file: the tensor table, the `__metadata__` strings and where the
/// data section starts.
///
/// File layout: an 8-byte little-endian `UInt64` N, N bytes of UTF-8 JSON
/// `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ..., "__metadata__": {str: str}}`
/// (possibly padded with trailing spaces), then the data section. Offsets are relative to the data section,
/// which the tensors must cover exactly: no holes, no overlaps, nothing after the last tensor.
public struct SafetensorsHeader: Sendable {
    /// Every tensor, sorted by offset, then name.
    public var tensors: [SafetensorsTensor]
    /// The `__metadata__` object (empty when absent).
    public var metadata: [String: String]
    /// Absolute offset of the data section (8 + header length).
    public var dataOffset: Int
    /// Size of the whole file in bytes.
    public var fileSize: Int

    /// The largest header accepted, as in the reference implementation (100 MB).
    public static let maxHeaderLength = 100_000_000

    public init(tensors: [SafetensorsTensor], metadata: [String: String], dataOffset: Int, fileSize: Int) {
        self.tensors = tensors
        self.metadata = metadata
        self.dataOffset = dataOffset
        self.fileSize = fileSize
    }

    /// Size of the data section in bytes.
    public var dataSize: Int { fileSize - dataOffset }

    /// Reads and validates only the header: 8 + N bytes, without mapping the file. Used for planning.
    /// - Throws: `FormatError` naming the file (and tensor) for an unreadable file or any invalid header.
    public static func read(path: String) throws -> SafetensorsHeader {
        let file = try FileReader(path: path)
        let prefix = try file.read(offset: 0, upTo: 8)
        let n = try prefix.withUnsafeBytes { try headerLength(prefix: $0, fileSize: file.size, path: path) }
        let bytes = prefix + (try file.read(offset: 8, count: n))
        return try parse(headerBytes: bytes, fileSize: file.size, path: path)
    }
}
