import PareTensor

extension SafetensorsHeader {
    /// Validates a header given the file's first bytes — the 8-byte length prefix followed by at least the N
    /// header bytes (more is fine, e.g. the whole mapped file) — and the size of the whole file.
    ///
    /// The input is untrusted: every length, dimension, product and offset is checked for overflow and range
    /// before use, and every problem is a `FormatError` naming `path`, the tensor when there is one, what is
    /// wrong and what to do. Nothing traps on any input.
    public static func parse(headerBytes: UnsafeRawBufferPointer, fileSize: Int, path: String) throws -> SafetensorsHeader {
        let n = try headerLength(prefix: headerBytes, fileSize: fileSize, path: path)
        guard headerBytes.count - 8 >= n else {
            throw FormatError(file: path, message: "only \(headerBytes.count - 8) of the \(n) header bytes could be read; the file is truncated or changed while being read")
        }
        let json = UnsafeRawBufferPointer(rebasing: headerBytes[8..<(8 + n)])
        let members = try topLevelMembers(json, path: path)
        let dataSize = fileSize - 8 - n
        var names = Set<String>()
        var metadata: [String: String]?
        var entries: [Entry] = []
        entries.reserveCapacity(members.count)
        for m in members {
            if m.key == "__metadata__" {
                guard metadata == nil else {
                    throw FormatError(file: path, message: "'__metadata__' appears twice in the header; the file is corrupt — re-export it")
                }
                metadata = try metadataStrings(m.value, path: path)
                continue
            }
            guard names.insert(m.key).inserted else {
                throw FormatError(file: path, tensor: m.key, message: "appears twice in the header; tensor names must be unique — re-export the file")
            }
            entries.append(try entry(name: m.key, m.value, dataSize: dataSize, path: path))
        }
        try checkCoverage(entries, dataSize: dataSize, path: path)
        let dataOffset = 8 + n
        let tensors = entries
            .map { SafetensorsTensor(name: $0.name, dtype: $0.dtype, shape: $0.shape, offset: dataOffset + $0.begin, byteCount: $0.end - $0.begin) }
            .sorted { a, b in a.offset != b.offset ? a.offset < b.offset : a.name.utf8.lexicographicallyPrecedes(b.name.utf8) }
        return SafetensorsHeader(tensors: tensors, metadata: metadata ?? [:], dataOffset: dataOffset, fileSize: fileSize)
    }

    /// `parse(headerBytes:fileSize:path:)` over an array (convenient for tests of hostile headers).
    public static func parse(headerBytes: [UInt8], fileSize: Int, path: String) throws -> SafetensorsHeader {
        try headerBytes.withUnsafeBytes { try parse(headerBytes: $0, fileSize: fileSize, path: path) }
    }

    /// Checks the 8-byte prefix against the file size and returns the header length N.
    static func headerLength(prefix: UnsafeRawBufferPointer, fileSize: Int, path: String) throws -> Int {
        guard fileSize >= 8 else {
            throw FormatError(file: path, message: "file is \(fileSize) bytes, too short for safetensors (which starts with an 8-byte header length); the file is truncated or not a safetensors file")
        }
        guard prefix.count >= 8 else {
            throw FormatError(file: path, message: "only \(prefix.count) of the 8 header-length bytes could be read; the file is truncated or changed while being read")
        }
        var n64: UInt64 = 0
        for i in (0..<8).reversed() { n64 = n64 << 8 | UInt64(prefix[i]) }
        guard n64 <= UInt64(maxHeaderLength) else {
            throw FormatError(file: path, message: "header length \(n64) bytes exceeds the \(maxHeaderLength / 1_000_000) MB limit; the file is corrupt or not a safetensors file")
        }
        let n = Int(n64)
        guard n <= fileSize - 8 else {
            throw FormatError(file: path, message: "header length \(n) bytes is more than the \(fileSize - 8) bytes that follow it; the file is truncated or not a safetensors file")
        }
        guard n >= 2 else {
            throw FormatError(file: path, message: "header length \(n) bytes is too short for a JSON object; the file is corrupt or not a safetensors file")
        }
        return n
    }

    // MARK: - Pieces

    /// A tensor entry as read, with offsets relative to the data section.
    private struct Entry {
        var name: String
        var dtype: DType
        var shape: Shape
        var begin: Int
        var end: Int
    }

    private static let example = #"expected {"dtype": "F32", "shape": [rows, cols], "data_offsets": [begin, end]}"#

    private static func topLevelMembers(_ json: UnsafeRawBufferPointer, path: String) throws -> [JSONValue.Member] {
        if let bad = JSONParser.firstInvalidUTF8Offset(json) {
            throw FormatError(file: path, message: "header is not valid UTF-8 (byte 0x\(String(json[bad], radix: 16)) at header offset \(bad), file offset \(bad + 8)); the file is corrupt or not a safetensors file")
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(json)
        } catch let f as JSONParser.Failure {
            throw FormatError(file: path, message: "header is not valid JSON: \(f.message) at header offset \(f.offset) (file offset \(f.offset + 8)); the file is corrupt — re-export it")
        }
        guard case .object(let members) = value else {
            throw FormatError(file: path, message: "header is \(value.kindName), not a JSON object mapping tensor names to entries; the file is corrupt or not a safetensors file")
        }
        guard json[0] == UInt8(ascii: "{") else {
            throw FormatError(file: path, message: "header starts with white space; safetensors requires '{' as its first byte (only trailing spaces are allowed) — re-export the file")
        }
        return members
    }

    private static func metadataStrings(_ value: JSONValue, path: String) throws -> [String: String] {
        switch value {
        case .null:
            return [:]
        case .object(let kv):
            var out: [String: String] = [:]
            for m in kv {
                guard case .string(let s) = m.value else {
                    throw FormatError(file: path, message: "'__metadata__' key '\(m.key)' is \(m.value.kindName); metadata values must be strings — re-export the file")
                }
                guard out.updateValue(s, forKey: m.key) == nil else {
                    throw FormatError(file: path, message: "'__metadata__' key '\(m.key)' appears twice; the file is corrupt — re-export it")
                }
            }
            return out
        default:
            throw FormatError(file: path, message: "'__metadata__' is \(value.kindName); it must be an object of string values — re-export the file")
        }
    }

    private static func entry(name: String, _ value: JSONValue, dataSize: Int, path: String) throws -> Entry {
        func fail(_ message: String) -> FormatError { FormatError(file: path, tensor: name, message: message) }
        guard case .object(let fields) = value else {
            throw fail("entry is \(value.kindName); \(example)")
        }
        func field(_ key: String) throws -> JSONValue {
            let found = fields.filter { $0.key == key }
            guard found.count <= 1 else { throw fail("field '\(key)' appears twice; the header is corrupt — re-export the file") }
            guard let v = found.first?.value else { throw fail("entry has no '\(key)'; \(example)") }
            return v
        }
        // dtype
        let dtypeValue = try field("dtype")
        guard case .string(let dtypeName) = dtypeValue else {
            throw fail("'dtype' is \(dtypeValue.kindName), expected a string such as \"F32\"")
        }
        guard let dtype = DType(safetensorsName: dtypeName) else {
            let supported = DType.allCases.compactMap(\.safetensorsName).sorted().joined(separator: ", ")
            throw fail("unsupported dtype '\(dtypeName)'; pare reads \(supported) — convert the tensor to one of them")
        }
        // shape
        let shapeValue = try field("shape")
        guard case .array(let dimValues) = shapeValue else {
            throw fail("'shape' is \(shapeValue.kindName), expected an array of non-negative integers")
        }
        var dims: [Int] = []
        dims.reserveCapacity(dimValues.count)
        for (i, d) in dimValues.enumerated() {
            dims.append(try integer(d, what: "shape[\(i)]", fail: fail))
        }
        let shape = Shape(dims)
        guard let elements = shape.elementCount else {
            throw fail("shape \(shape) has more elements than a 64-bit integer can count (the product overflows); the header is corrupt — re-export the file")
        }
        guard let needed = dtype.byteCount(elements: elements) else {
            throw fail("shape \(shape) of \(dtypeName) needs more bytes than a 64-bit integer can count (\(elements) elements × \(dtype.bits / 8) bytes overflows); the header is corrupt — re-export the file")
        }
        // data_offsets
        let offsetsValue = try field("data_offsets")
        guard case .array(let pair) = offsetsValue else {
            throw fail("'data_offsets' is \(offsetsValue.kindName), expected [begin, end]")
        }
        guard pair.count == 2 else {
            throw fail("'data_offsets' has \(pair.count) items, expected 2: [begin, end]")
        }
        let begin = try integer(pair[0], what: "data_offsets[0]", fail: fail)
        let end = try integer(pair[1], what: "data_offsets[1]", fail: fail)
        guard begin <= end else {
            throw fail("data_offsets [\(begin), \(end)] begin after end; the header is corrupt — re-export the file")
        }
        guard end <= dataSize else {
            throw fail("data_offsets [\(begin), \(end)] end past the data section (\(dataSize) bytes); the file is truncated or corrupt — re-export it")
        }
        guard end - begin == needed else {
            throw fail("data_offsets [\(begin), \(end)] hold \(end - begin) bytes but shape \(shape) of \(dtypeName) needs \(needed) (\(elements) elements × \(dtype.bits / 8) bytes); the header is corrupt — re-export the file")
        }
        return Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }

    private static func integer(_ v: JSONValue, what: String, fail: (String) -> FormatError) throws -> Int {
        switch v.nonNegativeInteger {
        case .value(let n)?: return n
        case .negative?: throw fail("\(what) = \(v.shortDescription) is negative; expected a non-negative integer")
        case .notInteger?: throw fail("\(what) = \(v.shortDescription) is not an integer; expected a non-negative integer")
        case .tooLarge?: throw fail("\(what) = \(v.shortDescription) is too large for a 64-bit integer; the header is corrupt — re-export the file")
        case nil: throw fail("\(what) is \(v.kindName), expected a non-negative integer")
        }
    }

    /// The tensors must tile the data section exactly: sorted by (begin, end), each starts where the previous
    /// ended, and the last ends at the end of the section.
    private static func checkCoverage(_ entries: [Entry], dataSize: Int, path: String) throws {
        let sorted = entries.sorted { a, b in
            if a.begin != b.begin { return a.begin < b.begin }
            if a.end != b.end { return a.end < b.end }
            return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
        var covered = 0
        var previous: Entry?
        for e in sorted {
            if e.begin < covered, let p = previous {
                throw FormatError(file: path, tensor: e.name, message: "data_offsets [\(e.begin), \(e.end)] overlap tensor '\(p.name)' [\(p.begin), \(p.end)]; the file is corrupt — re-export it")
            }
            if e.begin > covered {
                throw FormatError(file: path, tensor: e.name, message: "data_offsets [\(e.begin), \(e.end)] leave bytes [\(covered), \(e.begin)) of the data section before it unused; safetensors forbids holes — the file is corrupt, re-export it")
            }
            covered = e.end
            previous = e
        }
        if covered < dataSize {
            let after = previous.map { "after the last tensor '\($0.name)' (data_offsets end \($0.end))" } ?? "and no tensor uses them"
            throw FormatError(file: path, message: "data section has \(dataSize - covered) unused bytes \(after); safetensors forbids trailing bytes — the file is corrupt or was appended to, re-export it")
        }
    }
}
