import PareTensor

/// The validated header of a `.npy` array.
///
/// Layout (numpy's format versions 1.0, 2.0 and 3.0): the magic `\x93NUMPY`, two bytes major and minor version
/// (`1 0`, `2 0` or `3 0`), the header length N as a little-endian `UInt16` (1.0) or `UInt32` (2.0, 3.0), then N
/// bytes of header text (ASCII for 1.0 and 2.0, UTF-8 for 3.0): a Python dict literal with exactly the keys
/// `descr` (a dtype string, see `NPYDescr`), `fortran_order` (True/False) and `shape` (a tuple of integers; `()`
/// for a 0-d array), padded with spaces and a newline. The data follows immediately: element count × element
/// size bytes, the last bytes of the file or member (trailing bytes are an error).
///
/// Every length is checked before use: the header must lie inside the bytes given and be at most
/// `maxHeaderLength` long; the rank at most `maxRank`; every dimension ≥ 0; the element count and byte count
/// must not overflow; and the data must end exactly at `totalSize`.
public struct NPYHeader: Sendable, Hashable {
    /// The format's major version: 1, 2 or 3.
    public var version: Int
    public var dtype: DType
    /// True when the data is stored in Fortran (column-major) order; readers transpose it to C order.
    public var fortranOrder: Bool
    public var shape: Shape
    /// Offset of the first data byte from the start of the `.npy` bytes.
    public var dataOffset: Int
    /// Number of data bytes (element count × element size).
    public var byteCount: Int

    /// The longest header accepted (numpy itself writes headers of a few hundred bytes).
    public static let maxHeaderLength = 1 << 20
    /// The highest rank accepted (numpy's own limit).
    public static let maxRank = 64
    /// The first six bytes of every `.npy`: `\x93NUMPY`.
    public static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    public init(version: Int, dtype: DType, fortranOrder: Bool, shape: Shape, dataOffset: Int, byteCount: Int) {
        self.version = version
        self.dtype = dtype
        self.fortranOrder = fortranOrder
        self.shape = shape
        self.dataOffset = dataOffset
        self.byteCount = byteCount
    }

    /// The error for `file` (and `member`, an archive member's name).
    static func error(_ file: String, _ member: String?, _ message: String) -> FormatError {
        FormatError(file: file, message: (member.map { "member '\($0)': " } ?? "") + message)
    }

    /// Validates magic, version and header length from the first bytes of a `.npy` and returns where the header
    /// text ends (= where the data starts). `prefix` needs at most 12 bytes; `totalSize` is the size of the whole
    /// `.npy`.
    /// - Throws: `FormatError` naming `file` and `member`.
    static func headerEnd(prefix: UnsafeRawBufferPointer, totalSize: Int, file: String, member: String?) throws -> Int {
        let what = member == nil ? "the file" : "the member"
        guard prefix.count >= 10 else {
            throw error(file, member, "is \(totalSize) bytes, too short for a .npy array (at least 10 bytes of magic, version and header length); \(what) is truncated or not a .npy array")
        }
        guard Array(prefix[0..<6]) == magic else {
            let shown = prefix[0..<6].map { $0 >= 0x20 && $0 < 0x7F ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16) }.joined()
            throw error(file, member, "is not a .npy array: it starts with '\(shown)' instead of the magic '\\x93NUMPY'; write it with numpy.save")
        }
        let major = Int(prefix[6]), minor = Int(prefix[7])
        guard (1...3).contains(major), minor == 0 else {
            throw error(file, member, ".npy format version \(major).\(minor) is not supported; pare reads versions 1.0, 2.0 and 3.0 (write it with numpy.save)")
        }
        let lengthBytes = major == 1 ? 2 : 4
        guard prefix.count >= 8 + lengthBytes else {
            throw error(file, member, "ends inside the .npy header length field (\(totalSize) bytes); \(what) is truncated")
        }
        var n = 0
        for k in 0..<lengthBytes { n |= Int(prefix[8 + k]) << (8 * k) }
        let start = 8 + lengthBytes
        guard n <= maxHeaderLength else {
            throw error(file, member, ".npy header length \(n) is over the \(maxHeaderLength)-byte limit; \(what) is corrupt")
        }
        guard start + n <= totalSize else {
            throw error(file, member, ".npy header length \(n) runs past the end (\(totalSize) bytes, header from byte \(start)); \(what) is truncated or corrupt")
        }
        return start + n
    }

    /// Parses and validates the header at the start of `bytes` (which must hold at least the whole header) of a
    /// `.npy` that is `totalSize` bytes long in all.
    /// - Throws: `FormatError` naming `file` and `member`, saying what is wrong and what to do.
    public static func parse(_ bytes: UnsafeRawBufferPointer, totalSize: Int, file: String, member: String? = nil) throws -> NPYHeader {
        let end = try headerEnd(prefix: bytes, totalSize: totalSize, file: file, member: member)
        guard bytes.count >= end else {
            throw error(file, member, "ends inside the .npy header (\(bytes.count) of \(end) bytes); the file is truncated")
        }
        let version = Int(bytes[6])
        let start = version == 1 ? 10 : 12
        let raw = Array(bytes[start..<end])
        let text: String
        if version < 3 {
            if let k = raw.firstIndex(where: { $0 >= 0x80 }) {
                throw error(file, member, ".npy header byte \(start + k) is 0x\(String(raw[k], radix: 16)), not ASCII (format \(version).0 headers are ASCII); the file is corrupt")
            }
            text = String(decoding: raw, as: UTF8.self)
        } else {
            guard let t = String(validating: raw, as: UTF8.self) else {
                throw error(file, member, ".npy header is not valid UTF-8; the file is corrupt")
            }
            text = t
        }
        let literal: NPYLiteral
        do { literal = try NPYLiteral.parse(text) } catch let e as NPYLiteral.ParseError {
            throw error(file, member, ".npy header is not a Python dict literal (\(e)); the file is corrupt")
        }
        let fields = try NPYHeaderFields(literal, file: file, member: member)
        let dtype: DType
        switch NPYDescr.dtype(fields.descr) {
        case .success(let t): dtype = t
        case .failure(let m): throw error(file, member, m.text)
        }
        guard let count = Shape(fields.shape).elementCount, let byteCount = dtype.byteCount(elements: count) else {
            throw error(file, member, "shape \(Shape(fields.shape)) has more elements than can be addressed; the header is corrupt")
        }
        let available = totalSize - end
        guard byteCount <= available else {
            throw error(file, member, "shape \(Shape(fields.shape)) of \(dtype) needs \(byteCount) data bytes but only \(available) follow the header; the array is truncated or its header corrupt")
        }
        guard byteCount == available else {
            throw error(file, member, "\(available - byteCount) bytes follow the data of shape \(Shape(fields.shape)) of \(dtype); the array is corrupt (numpy writes none)")
        }
        return NPYHeader(version: version, dtype: dtype, fortranOrder: fields.fortranOrder, shape: Shape(fields.shape),
                         dataOffset: end, byteCount: byteCount)
    }
}
