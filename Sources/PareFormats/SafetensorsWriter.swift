import Foundation
import PareBasics
import PareTensor

/// Writes safetensors files deterministically and atomically, streaming each tensor's bytes to a temporary
/// file that is renamed into place, so the whole file is never held in memory.
///
/// Output: the 8-byte little-endian header length N; the header as compact JSON with keys sorted by their
/// UTF-8 bytes, `__metadata__` included only when non-empty, padded with spaces so N is a multiple of 8; then
/// the tensors' bytes back to back in the given entry order. Equal inputs give byte-identical files.
public enum SafetensorsWriter {
    /// Where an entry's bytes come from.
    public enum Source: Sendable {
        case bytes([UInt8])
        /// `count` bytes of another file starting at `offset` (e.g. a tensor of a mapped input file).
        case file(path: String, offset: Int, count: Int)
    }

    /// One tensor to write.
    public struct Entry: Sendable {
        public var name: String
        public var dtype: DType
        public var shape: Shape
        public var source: Source

        public init(name: String, dtype: DType, shape: Shape, source: Source) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.source = source
        }
    }

    /// Validates (byte count matches shape × dtype, names unique, dtype representable in safetensors) and
    /// writes atomically: on any error nothing appears at `path`.
    /// - Throws: `FormatError` naming `path` and the tensor for invalid entries or unreadable sources;
    ///   `AtomicFile.WriteError` when the destination cannot be written.
    public static func write(to path: String, entries: [Entry], metadata: [String: String]) throws {
        let readers = try validate(entries, path: path)
        let header = try headerBytes(entries: entries, metadata: metadata, path: path)
        try AtomicFile.write(to: path) { fd in
            try header.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) }
            for (i, e) in entries.enumerated() {
                switch e.source {
                case .bytes(let b):
                    try b.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) }
                case .file(_, let offset, let count):
                    try readers[i]!.copy(offset: offset, count: count, to: fd, destination: path)
                }
            }
        }
    }

    /// The bytes that precede the data section: length prefix and padded JSON header. Offsets follow the
    /// entries' order. Exposed for tests and for computing a file's layout without writing it.
    public static func headerBytes(entries: [Entry], metadata: [String: String], path: String = "<memory>") throws -> [UInt8] {
        var offsets: [(begin: Int, end: Int)] = []
        var pos = 0
        for e in entries {
            let n = try byteCount(of: e, path: path)
            let (end, o) = pos.addingReportingOverflow(n)
            guard !o else { throw FormatError(file: path, tensor: e.name, message: "the data section would exceed \(Int.max) bytes") }
            offsets.append((pos, end))
            pos = end
        }
        var json: [UInt8] = [UInt8(ascii: "{")]
        var items: [(key: [UInt8], value: [UInt8])] = []
        if !metadata.isEmpty {
            var m: [UInt8] = [UInt8(ascii: "{")]
            let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (i, k) in keys.enumerated() {
                if i > 0 { m.append(UInt8(ascii: ",")) }
                appendJSONString(k, to: &m)
                m.append(UInt8(ascii: ":"))
                appendJSONString(metadata[k]!, to: &m)
            }
            m.append(UInt8(ascii: "}"))
            items.append((Array("__metadata__".utf8), m))
        }
        for (e, o) in zip(entries, offsets) {
            var v: [UInt8] = Array(#"{"data_offsets":["#.utf8)
            v += Array("\(o.begin),\(o.end)],\"dtype\":\"\(e.dtype.safetensorsName!)\",\"shape\":[".utf8)
            v += Array(e.shape.dims.map(String.init).joined(separator: ",").utf8)
            v += Array("]}".utf8)
            items.append((Array(e.name.utf8), v))
        }
        items.sort { $0.key.lexicographicallyPrecedes($1.key) }
        for (i, item) in items.enumerated() {
            if i > 0 { json.append(UInt8(ascii: ",")) }
            appendJSONString(String(decoding: item.key, as: UTF8.self), to: &json)
            json.append(UInt8(ascii: ":"))
            json += item.value
        }
        json.append(UInt8(ascii: "}"))
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        guard json.count <= SafetensorsHeader.maxHeaderLength else {
            throw FormatError(file: path, message: "header would be \(json.count) bytes, over the \(SafetensorsHeader.maxHeaderLength / 1_000_000) MB that readers accept; split the model into several files")
        }
        var out = [UInt8]()
        out.reserveCapacity(8 + json.count)
        var n = UInt64(json.count)
        for _ in 0..<8 { out.append(UInt8(n & 0xFF)); n >>= 8 }
        return out + json
    }

    // MARK: - Validation

    /// Checks every entry and opens the file sources (so a missing source fails before anything is written).
    /// Each distinct source file is opened once, however many tensors come from it.
    private static func validate(_ entries: [Entry], path: String) throws -> [FileReader?] {
        var names = Set<String>()
        var readers: [FileReader?] = []
        var open: [String: FileReader] = [:]
        for e in entries {
            guard e.name != "__metadata__" else {
                throw FormatError(file: path, tensor: e.name, message: "'__metadata__' is reserved for the metadata object; rename the tensor")
            }
            guard names.insert(e.name).inserted else {
                throw FormatError(file: path, tensor: e.name, message: "appears twice among the entries; tensor names must be unique")
            }
            let n = try byteCount(of: e, path: path)
            switch e.source {
            case .bytes(let b):
                guard b.count == n else {
                    throw FormatError(file: path, tensor: e.name, message: "has \(b.count) bytes but shape \(e.shape) of \(e.dtype) needs \(n)")
                }
                readers.append(nil)
            case .file(let source, let offset, let count):
                guard count == n else {
                    throw FormatError(file: path, tensor: e.name, message: "source range holds \(count) bytes but shape \(e.shape) of \(e.dtype) needs \(n)")
                }
                let r = try open[source] ?? FileReader(path: source)
                open[source] = r
                guard offset >= 0, count >= 0, offset <= r.size, count <= r.size - offset else {
                    throw FormatError(file: path, tensor: e.name, message: "source range [\(offset), \(offset) + \(count)) lies outside \(source) (\(r.size) bytes)")
                }
                readers.append(r)
            }
        }
        return readers
    }

    private static func byteCount(of e: Entry, path: String) throws -> Int {
        guard e.dtype.safetensorsName != nil else {
            throw FormatError(file: path, tensor: e.name, message: "dtype \(e.dtype) has no safetensors encoding; store packed 4-bit values as U8 (two per byte, low nibble first) as docs/bundle-format.md describes")
        }
        guard let elements = e.shape.elementCount, let n = e.dtype.byteCount(elements: elements) else {
            throw FormatError(file: path, tensor: e.name, message: "shape \(e.shape) is invalid (a negative dimension, or more elements than a 64-bit integer can count)")
        }
        return n
    }

    /// Appends `s` as a JSON string: quotes, backslashes and control characters escaped, everything else as
    /// raw UTF-8.
    static func appendJSONString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "\""): out += [0x5C, 0x22]
            case UInt8(ascii: "\\"): out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(c >> 4)], hex[Int(c & 15)]]
            default: out.append(c)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
