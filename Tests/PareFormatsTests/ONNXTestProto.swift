/// A tiny protobuf encoder for hand-made (often hostile) ONNX files in tests. Field numbers are ONNX's.
enum ONNXTestProto {
    static func varint(_ v: UInt64) -> [UInt8] {
        var v = v, out: [UInt8] = []
        while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        return out + [UInt8(v)]
    }

    static func tag(_ field: Int, _ wireType: Int) -> [UInt8] { varint(UInt64(field << 3 | wireType)) }
    static func int(_ field: Int, _ v: Int64) -> [UInt8] { tag(field, 0) + varint(UInt64(bitPattern: v)) }
    static func bytes(_ field: Int, _ b: [UInt8]) -> [UInt8] { tag(field, 2) + varint(UInt64(b.count)) + b }
    static func string(_ field: Int, _ s: String) -> [UInt8] { bytes(field, Array(s.utf8)) }
    static func fixed32(_ field: Int, _ v: UInt32) -> [UInt8] { tag(field, 5) + (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }

    /// A TensorProto: dims (unpacked, as onnx writes them), data_type, name, raw_data, then `extra` fields.
    static func tensor(_ name: String?, type: Int? = 1, dims: [Int64], raw: [UInt8]? = nil, extra: [UInt8] = []) -> [UInt8] {
        var t: [UInt8] = []
        for d in dims { t += int(1, d) }
        if let type { t += int(2, Int64(type)) }
        if let name { t += string(8, name) }
        if let raw { t += bytes(9, raw) }
        return t + extra
    }

    /// A float32 tensor with `count` elements in raw_data (bytes 0, 1, 2, ...).
    static func f32(_ name: String, _ count: Int) -> [UInt8] {
        tensor(name, dims: [Int64(count)], raw: (0..<count * 4).map { UInt8(truncatingIfNeeded: $0) })
    }

    /// external_data entries (key/value) plus data_location = EXTERNAL.
    static func external(_ entries: [(String, String)]) -> [UInt8] {
        entries.flatMap { bytes(13, string(1, $0.0) + string(2, $0.1)) } + int(14, 1)
    }

    static func node(_ op: String, name: String = "", outputs: [String], attributes: [[UInt8]] = []) -> [UInt8] {
        outputs.flatMap { string(2, $0) } + (name.isEmpty ? [] : string(3, name)) + string(4, op) + attributes.flatMap { bytes(5, $0) }
    }

    /// An attribute holding one tensor (type TENSOR = 4).
    static func tensorAttribute(_ name: String, _ tensor: [UInt8]) -> [UInt8] {
        string(1, name) + bytes(5, tensor) + int(20, 4)
    }

    static func graph(initializers: [[UInt8]] = [], nodes: [[UInt8]] = []) -> [UInt8] {
        nodes.flatMap { bytes(1, $0) } + string(2, "g") + initializers.flatMap { bytes(5, $0) }
    }

    /// A ModelProto: ir_version, graph, opset import.
    static func model(_ graph: [UInt8], irVersion: Int64 = 8, opset: Int64 = 17) -> [UInt8] {
        int(1, irVersion) + bytes(7, graph) + bytes(8, string(1, "") + int(2, opset))
    }
}
