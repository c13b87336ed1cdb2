/// The model file formats pare recognizes by content.
public enum ModelFileFormat: String, Sendable, CaseIterable {
    case safetensors, onnx, gguf

    /// Sniffs the first bytes: "GGUF" magic; safetensors = plausible u64 header length followed by "{"; ONNX =
    /// protobuf ModelProto (first field tag is a valid ModelProto field, e.g. 0x08 ir_version). nil when unknown.
    /// - Throws: `FormatError` when the file cannot be opened or read.
    public static func detect(path: String) throws -> ModelFileFormat? {
        let file = try FileReader(path: path)
        let head = try file.read(offset: 0, upTo: 32)
        return detect(prefix: head, fileSize: file.size)
    }

    /// Sniffs `prefix`, the first bytes (32 are plenty) of a file of `fileSize` bytes.
    public static func detect(prefix: [UInt8], fileSize: Int) -> ModelFileFormat? {
        if prefix.count >= 4, prefix[0..<4].elementsEqual("GGUF".utf8) { return .gguf }
        if looksLikeSafetensors(prefix, fileSize: fileSize) { return .safetensors }
        if looksLikeONNX(prefix, fileSize: fileSize) { return .onnx }
        return nil
    }

    private static func looksLikeSafetensors(_ b: [UInt8], fileSize: Int) -> Bool {
        guard b.count >= 9, fileSize >= 10 else { return false }
        var n: UInt64 = 0
        for i in (0..<8).reversed() { n = n << 8 | UInt64(b[i]) }
        return n >= 2 && n <= UInt64(SafetensorsHeader.maxHeaderLength) && n <= UInt64(fileSize - 8) && b[8] == UInt8(ascii: "{")
    }

    /// ModelProto field numbers and their protobuf wire types (0 = varint, 2 = length-delimited).
    private static let modelProtoFields: [UInt64: UInt64] = [
        1: 0,   // ir_version
        2: 2,   // producer_name
        3: 2,   // producer_version
        4: 2,   // domain
        5: 0,   // model_version
        6: 2,   // doc_string
        7: 2,   // graph
        8: 2,   // opset_import
        14: 2,  // metadata_props
        20: 2,  // training_info
        25: 2,  // functions
        26: 2,  // configuration
    ]

    /// The first field must be a ModelProto field with its proper wire type, and its value must fit in the file
    /// (a plausible IR version for field 1).
    private static func looksLikeONNX(_ b: [UInt8], fileSize: Int) -> Bool {
        var pos = 0
        guard let tag = varint(b, &pos) else { return false }
        let field = tag >> 3, wire = tag & 7
        guard let expected = modelProtoFields[field], expected == wire else { return false }
        guard let value = varint(b, &pos) else { return false }
        if field == 1 { return value >= 1 && value <= 100 }
        if wire == 2 { return value <= UInt64(max(0, fileSize - pos)) }
        return true
    }

    /// Reads a protobuf varint (at most 10 bytes) from `b` at `pos`.
    private static func varint(_ b: [UInt8], _ pos: inout Int) -> UInt64? {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while pos < b.count, shift < 64 {
            let c = b[pos]
            pos += 1
            v |= UInt64(c & 0x7F) << shift
            if c & 0x80 == 0 { return v }
            shift += 7
        }
        return nil
    }
}
