/// The fields of the ONNX messages that pare walks on the wire, with the wire types each may use (a packed
/// repeated scalar may also come unpacked, and the reverse). A known field with any other wire type makes the
/// file corrupt; unknown fields are skipped, as protobuf requires.
enum ONNXWireSchema {
    typealias Fields = [Int: (name: String, wireTypes: [Int])]

    static let v = ONNXWireType.varint, f64 = ONNXWireType.fixed64, len = ONNXWireType.lengthDelimited, f32 = ONNXWireType.fixed32

    static let model: Fields = [
        1: ("ir_version", [v]), 2: ("producer_name", [len]), 3: ("producer_version", [len]), 4: ("domain", [len]),
        5: ("model_version", [v]), 6: ("doc_string", [len]), 7: ("graph", [len]), 8: ("opset_import", [len]),
        14: ("metadata_props", [len]), 20: ("training_info", [len]), 25: ("functions", [len]), 26: ("configuration", [len]),
    ]

    static let graph: Fields = [
        1: ("node", [len]), 2: ("name", [len]), 5: ("initializer", [len]), 10: ("doc_string", [len]),
        11: ("input", [len]), 12: ("output", [len]), 13: ("value_info", [len]), 14: ("quantization_annotation", [len]),
        15: ("sparse_initializer", [len]), 16: ("metadata_props", [len]),
    ]

    static let node: Fields = [
        1: ("input", [len]), 2: ("output", [len]), 3: ("name", [len]), 4: ("op_type", [len]), 5: ("attribute", [len]),
        6: ("doc_string", [len]), 7: ("domain", [len]), 8: ("overload", [len]), 9: ("metadata_props", [len]),
        10: ("device_configurations", [len]),
    ]

    static let attribute: Fields = [
        1: ("name", [len]), 2: ("f", [f32]), 3: ("i", [v]), 4: ("s", [len]), 5: ("t", [len]), 6: ("g", [len]),
        7: ("floats", [f32, len]), 8: ("ints", [v, len]), 9: ("strings", [len]), 10: ("tensors", [len]),
        11: ("graphs", [len]), 13: ("doc_string", [len]), 14: ("tp", [len]), 15: ("type_protos", [len]),
        20: ("type", [v]), 21: ("ref_attr_name", [len]), 22: ("sparse_tensor", [len]), 23: ("sparse_tensors", [len]),
    ]

    static let tensor: Fields = [
        1: ("dims", [v, len]), 2: ("data_type", [v]), 3: ("segment", [len]), 4: ("float_data", [f32, len]),
        5: ("int32_data", [v, len]), 6: ("string_data", [len]), 7: ("int64_data", [v, len]), 8: ("name", [len]),
        9: ("raw_data", [len]), 10: ("double_data", [f64, len]), 11: ("uint64_data", [v, len]),
        12: ("doc_string", [len]), 13: ("external_data", [len]), 14: ("data_location", [v]), 16: ("metadata_props", [len]),
    ]

    static let stringStringEntry: Fields = [1: ("key", [len]), 2: ("value", [len])]

    /// Throws when `field` is a known field of `message` with a wire type it cannot have.
    static func check(_ field: ONNXWireField, in fields: Fields, message: String) throws {
        guard let known = fields[field.number], !known.wireTypes.contains(field.wireType) else { return }
        let expected = known.wireTypes.map(ONNXWireType.name).joined(separator: " or ")
        throw ONNXWireError(offset: field.start, message: "field \(field.number) (\(known.name)) of \(message) has wire type \(ONNXWireType.name(field.wireType)), expected \(expected)")
    }
}
