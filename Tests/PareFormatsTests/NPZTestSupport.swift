import Foundation
import Testing
@testable import PareFormats

/// Builders for hand-made `.npy` and `.npz` bytes (hostile and layout tests), independent of the readers.
enum NPZTestSupport {
    /// A `.npy`: magic, version, little-endian header length (2 bytes for 1.0, 4 otherwise), `header` padded
    /// with spaces and a newline to a multiple of 64 bytes (unless `pad` is false), then `data`.
    static func npy(header: String, data: [UInt8], version: UInt8 = 1, pad: Bool = true, headerLength: Int? = nil) -> [UInt8] {
        let prefix = version == 1 ? 10 : 12
        var h = Array(header.utf8)
        if pad {
            let total = prefix + h.count + 1
            h += [UInt8](repeating: 0x20, count: (64 - total % 64) % 64) + [0x0A]
        }
        let n = headerLength ?? h.count
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
        out += (0..<(version == 1 ? 2 : 4)).map { UInt8(truncatingIfNeeded: n >> (8 * $0)) }
        return out + h + data
    }

    /// A `.npy` of float32 `values` with `shape` (C order).
    static func npyFloat32(_ values: [Float], shape: [Int]) -> [UInt8] {
        let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        let data = values.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * UInt32($0))) } }
        return npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': \(dims), }", data: data)
    }

    /// A zip of STORED members, in order, with correct CRCs (no comment). With `zip64`, every central entry
    /// keeps its sizes and offset in a zip64 extra field (the 32-bit fields hold 0xFFFFFFFF) and the archive
    /// ends with a zip64 end record and locator before an end record of 0xFFFF/0xFFFFFFFF placeholders.
    static func zip(_ members: [(String, [UInt8])], zip64: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        for (name, data) in members {
            let n = Array(name.utf8)
            let crc = crc32(data)
            let offset = out.count
            out += le32(0x0403_4B50) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0x21)
            out += le32(crc) + le32(UInt32(data.count)) + le32(UInt32(data.count)) + le16(UInt16(n.count)) + le16(0) + n + data
            let big: UInt32 = 0xFFFF_FFFF
            let extra = zip64 ? le16(1) + le16(24) + le64(UInt64(data.count)) + le64(UInt64(data.count)) + le64(UInt64(offset)) : []
            central += le32(0x0201_4B50) + le16(45) + le16(45) + le16(0) + le16(0) + le16(0) + le16(0x21) + le32(crc)
            central += zip64 ? le32(big) + le32(big) : le32(UInt32(data.count)) + le32(UInt32(data.count))
            central += le16(UInt16(n.count)) + le16(UInt16(extra.count)) + le16(0) + le16(0) + le16(0) + le32(0)
            central += (zip64 ? le32(big) : le32(UInt32(offset))) + n + extra
        }
        let cdOffset = out.count
        out += central
        if zip64 {
            let record = out.count
            out += le32(0x0606_4B50) + le64(44) + le16(45) + le16(45) + le32(0) + le32(0)
            out += le64(UInt64(members.count)) + le64(UInt64(members.count)) + le64(UInt64(central.count)) + le64(UInt64(cdOffset))
            out += le32(0x0706_4B50) + le32(0) + le64(UInt64(record)) + le32(1)
            out += le32(0x0605_4B50) + le16(0) + le16(0) + le16(0xFFFF) + le16(0xFFFF) + le32(0xFFFF_FFFF) + le32(0xFFFF_FFFF) + le16(0)
            return out
        }
        out += le32(0x0605_4B50) + le16(0) + le16(0) + le16(UInt16(members.count)) + le16(UInt16(members.count))
        out += le32(UInt32(central.count)) + le32(UInt32(cdOffset)) + le16(0)
        return out
    }

    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }
    static func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }

    /// Bitwise CRC-32 (IEEE, reflected), independent of zlib.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
        }
        return ~c
    }

    /// Writes `bytes` to `dir/name` and returns the path.
    static func write(_ bytes: [UInt8], _ dir: String, _ name: String) throws -> String {
        let path = dir + "/" + name
        try TemporaryDirectory.write(bytes, to: path)
        return path
    }

    /// The error `body` throws, which must be a `FormatError` (recorded as a test failure otherwise).
    static func formatError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> FormatError? {
        do {
            try body()
            Issue.record("expected a FormatError, but it succeeded", sourceLocation: sourceLocation)
        } catch let e as FormatError {
            return e
        } catch {
            Issue.record("expected a FormatError, got \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }
}
