import Foundation

/// Canonical JSON for hashing and for files people diff: keys sorted, no insignificant white space
/// (or pretty-printed with sorted keys for files), no escaped slashes, floats in their shortest form.
///
/// A cache key is the SHA-256 of the canonical encoding of a Codable components struct, so two values that
/// are equal encode to the same bytes on every machine.
public enum CanonicalJSON {
    public static func encode<T: Encodable>(_ value: T, pretty: Bool = false) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted] : [.sortedKeys, .withoutEscapingSlashes]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var d = try e.encode(value)
        if pretty { d.append(0x0A) }
        return d
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try d.decode(type, from: data)
    }

    /// SHA-256 of the canonical (compact) encoding.
    public static func digest<T: Encodable>(_ value: T) throws -> Digest {
        Digest.of(try encode(value))
    }
}
