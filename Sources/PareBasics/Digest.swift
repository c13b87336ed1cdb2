import Crypto
import Foundation

/// A SHA-256 content digest, printed as 64 lowercase hex digits.
public struct Digest: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    /// The 32 raw bytes.
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 32, "a SHA-256 digest has 32 bytes")
        self.bytes = bytes
    }

    /// Parses 64 hex digits; nil if malformed.
    public init?(hex: String) {
        let u = Array(hex.utf8)
        guard u.count == 64 else { return nil }
        var out = [UInt8](repeating: 0, count: 32)
        for i in 0..<32 {
            guard let hi = Digest.nibble(u[2 * i]), let lo = Digest.nibble(u[2 * i + 1]) else { return nil }
            out[i] = hi << 4 | lo
        }
        bytes = out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        default: return nil
        }
    }

    public var hex: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8](); out.reserveCapacity(64)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { hex }
    /// The first 12 hex digits, for display.
    public var short: String { String(hex.prefix(12)) }

    public static func < (a: Digest, b: Digest) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let d = Digest(hex: s) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a SHA-256 hex digest: \(s)")
        }
        self = d
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(hex)
    }

    /// SHA-256 of a byte buffer.
    public static func of(_ buffer: UnsafeRawBufferPointer) -> Digest {
        Digest(bytes: Array(SHA256.hash(data: buffer)))
    }

    public static func of(_ data: Data) -> Digest {
        Digest(bytes: Array(SHA256.hash(data: data)))
    }

    public static func of(_ bytes: [UInt8]) -> Digest {
        bytes.withUnsafeBytes { of($0) }
    }

    public static func of(_ string: String) -> Digest { of(Array(string.utf8)) }
}

/// Incremental SHA-256 over several buffers.
public struct DigestHasher {
    private var h = SHA256()
    public init() {}
    public mutating func update(_ buffer: UnsafeRawBufferPointer) { h.update(bufferPointer: buffer) }
    public mutating func update(_ data: Data) { h.update(data: data) }
    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { h.update(bufferPointer: $0) } }
    public func finalize() -> Digest { Digest(bytes: Array(h.finalize())) }
}
