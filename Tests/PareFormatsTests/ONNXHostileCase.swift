import Testing

/// One hostile ONNX file and the error it must produce. The model is written to `<dir>/m/model.onnx`; `files`
/// are written next to it (paths relative to `<dir>/m`), `links` are symbolic links made there (name →
/// target). `<dir>/outside/secret.bin` (4096 bytes) always exists, outside the model's folder.
struct ONNXHostileCase: Sendable, CustomTestStringConvertible {
    var label: String
    var model: [UInt8]
    var files: [String: [UInt8]] = [:]
    var links: [String: String] = [:]
    var tensor: String?
    var fragment: String
    var testDescription: String { label }

    init(_ label: String, _ model: [UInt8], files: [String: [UInt8]] = [:], links: [String: String] = [:], tensor: String? = nil, _ fragment: String) {
        self.label = label
        self.model = model
        self.files = files
        self.links = links
        self.tensor = tensor
        self.fragment = fragment
    }
}

private typealias P = ONNXTestProto

/// A model whose only initializer is `tensor`.
private func one(_ tensor: [UInt8]) -> [UInt8] { P.model(P.graph(initializers: [tensor])) }

/// A model with initializer "w" (float32 [4]) stored as external data with these entries.
private func ext(_ entries: [(String, String)], extra: [UInt8] = []) -> [UInt8] {
    one(P.tensor("w", dims: [4], extra: extra + P.external(entries)))
}

private let sixteen = [UInt8](repeating: 7, count: 16)

let onnxHostileCases: [ONNXHostileCase] = [
    // Not ONNX at all.
    .init("empty file", [], "is empty (0 bytes); expected an ONNX model"),
    .init("text file", Array("hello world, this is not a model\n".utf8), "is not an ONNX model: it does not parse as a protobuf ModelProto"),
    .init("safetensors file", safetensorsFile(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, dataSize: 4),
          "is not an ONNX model: it does not parse as a protobuf ModelProto (field 6 has invalid wire type 6, at byte offset 0)"),
    .init("no graph", P.int(1, 8), "is not an ONNX model: it has no graph (ModelProto field 7)"),
    .init("no ir_version", P.bytes(7, P.graph()), "is not an ONNX model: it has no ir_version"),
    .init("two graphs", P.int(1, 8) + P.bytes(7, P.graph()) + P.bytes(7, P.graph()), "the model has 2 graph fields"),

    // Corrupt protobuf.
    .init("truncated model", Array(one(P.f32("w", 64)).dropLast(100)), "corrupt protobuf in the model at byte offset 3: field 7 claims 272 bytes but only 178 remain in the enclosing message; the file is truncated or corrupt — re-export it"),
    .init("varint longer than 10 bytes", P.int(1, 8) + [0x08] + [UInt8](repeating: 0xFF, count: 10) + [0x01], "a varint is longer than 10 bytes or overflows 64 bits"),
    .init("varint cut off", P.int(1, 8) + [0x08, 0xFF], "a varint is cut off by the end of the enclosing message"),
    .init("initializer length past the graph's end", P.int(1, 8) + P.bytes(7, P.tag(5, 2) + P.varint(100) + [1, 2, 3]),
          "corrupt protobuf in the graph at byte offset 5: field 5 claims 100 bytes but only 3 remain"),
    .init("graph with varint wire type", P.int(1, 8) + P.int(7, 5), "field 7 (graph) of ModelProto has wire type varint, expected length-delimited"),
    .init("raw_data with varint wire type", one(P.tensor("w", dims: [1]) + P.int(9, 3)), tensor: "w",
          "corrupt protobuf in initializer 0 'w' at byte offset 16: field 9 (raw_data) of TensorProto has wire type varint, expected length-delimited"),
    .init("node attribute with fixed64 wire type", P.model(P.graph(nodes: [P.node("Relu", outputs: ["y"]) + P.tag(5, 1) + [UInt8](repeating: 0, count: 8)])),
          "corrupt protobuf in node 0 at byte offset 15: field 5 (attribute) of NodeProto has wire type fixed64"),
    .init("group wire type", P.int(1, 8) + P.tag(9, 3), "field 9 uses the start-group wire type, which ONNX never uses"),
    .init("field number 0", P.int(1, 8) + [0x02, 0x00], "field number 0 is invalid"),
    .init("wire type 7", P.int(1, 8) + [0x0F], "field 1 has invalid wire type 7"),
    .init("packed float_data not a multiple of 4", one(P.tensor("w", dims: [2], extra: P.bytes(4, [1, 2, 3, 4, 5, 6, 7]))), tensor: "w",
          "packed float_data holds 7 bytes, not a multiple of 4"),
    .init("packed int64_data with a cut varint", one(P.tensor("w", type: 7, dims: [1], extra: P.bytes(7, [0xFF]))), tensor: "w", "a varint is cut off"),
    .init("corrupt tensor in a Constant node", P.model(P.graph(nodes: [P.node("Constant", name: "k", outputs: ["c"], attributes: [P.tensorAttribute("value", P.tensor(nil, dims: [1]) + [0x4A, 0x10, 1, 2])])])),
          tensor: "c", "corrupt protobuf in node 0 'k' (Constant), attribute 'value' at byte offset"),
    .init("attribute with two tensors", P.model(P.graph(nodes: [P.node("Constant", outputs: ["c"], attributes: [P.tensorAttribute("value", P.f32("", 1)) + P.bytes(5, P.f32("", 1))])])),
          "node 0 (Constant), attribute 'value' has more than one tensor value"),

    .init("graph input with varint wire type", P.int(1, 8) + P.bytes(7, P.int(11, 5)), "field 11 (input) of GraphProto has wire type varint"),
    .init("node name not UTF-8", P.model(P.graph(nodes: [P.bytes(3, [0x61, 0xFF]) + P.string(4, "Relu")])), "the model's structure does not parse as ONNX"),

    // Tensors pare cannot take.
    .init("raw_data shorter than dims × dtype", one(P.tensor("fc.weight", dims: [4], raw: [UInt8](repeating: 0, count: 12))), tensor: "fc.weight",
          "raw_data holds 12 bytes but dims [4] of float32 need 16 bytes (4 elements); the file is corrupt — re-export it"),
    .init("raw_data longer than dims × dtype", one(P.tensor("w", type: 10, dims: [2, 3], raw: [UInt8](repeating: 0, count: 14))), tensor: "w",
          "raw_data holds 14 bytes but dims [2, 3] of float16 need 12 bytes"),
    .init("negative dim", one(P.tensor("w", dims: [2, -1], raw: [])), tensor: "w", "dims[1] = -1 is negative"),
    .init("element count overflow", one(P.tensor("w", dims: [4_294_967_296, 4_294_967_296], raw: [])), tensor: "w", "have more elements than a 64-bit integer can count"),
    .init("byte count overflow", one(P.tensor("w", type: 11, dims: [1 << 61], raw: [])), tensor: "w", "need more bytes than a 64-bit integer can count"),
    .init("initializer used twice", P.model(P.graph(initializers: [P.f32("w", 1), P.f32("b", 1), P.f32("w", 2)])), tensor: "w",
          "is used as initializer twice (initializer 0 and initializer 2); tensor names must be unique — fix the exporter"),
    .init("STRING tensor", one(P.tensor("names", type: 8, dims: [1], extra: P.string(6, "a"))), tensor: "names", "data type STRING (8) is not supported"),
    .init("float8 tensor", one(P.tensor("w8", type: 17, dims: [1], raw: [0])), tensor: "w8", "data type FLOAT8E4M3FN (17) is not supported"),
    .init("no data_type", one(P.tensor("w", type: nil, dims: [1], raw: [0, 0, 0, 0])), tensor: "w", "has no data_type"),
    .init("segment", one(P.tensor("w", dims: [1], raw: [0, 0, 0, 0], extra: P.bytes(3, P.int(1, 0) + P.int(2, 1)))), tensor: "w", "is a segment of a larger tensor"),
    .init("float_data count differs", one(P.tensor("w", dims: [4], extra: P.bytes(4, [UInt8](repeating: 0, count: 12)))), tensor: "w",
          "float_data holds 3 values but dims [4] need 4 values"),
    .init("int4 int32_data count differs", one(P.tensor("q", type: 22, dims: [5], extra: P.bytes(5, [1, 2]))), tensor: "q",
          "int32_data holds 2 values but dims [5] need 3 packed bytes (two 4-bit values each)"),
    .init("typed field of the wrong type", one(P.tensor("w", dims: [1], extra: P.int(7, 5))), tensor: "w",
          "holds int64_data, but float32 values are stored in float_data (or raw_data)"),
    .init("raw_data and float_data", one(P.tensor("w", dims: [1], raw: [0, 0, 0, 0], extra: P.fixed32(4, 0))), tensor: "w", "holds both raw_data and float_data"),
    .init("no data", one(P.tensor("w", dims: [4])), tensor: "w", "has no data (no raw_data, typed values or external data) but dims [4] of float32 need 16 bytes"),
    .init("data_location 5", one(P.tensor("w", dims: [1], raw: [0, 0, 0, 0], extra: P.int(14, 5))), tensor: "w", "data_location = 5 is neither DEFAULT (0) nor EXTERNAL (1)"),
    .init("initializer without a name", one(P.tensor(nil, dims: [1], raw: [0, 0, 0, 0])), "initializer 0 has no name"),
    .init("Constant output named like an initializer", P.model(P.graph(initializers: [P.f32("w", 1)], nodes: [P.node("Constant", outputs: ["w"], attributes: [P.tensorAttribute("value", P.f32("", 1))])])),
          tensor: "w", "is defined twice (node 0 (Constant), attribute 'value' and initializer 0)"),

    // External data.
    .init("external: absolute path", ext([("location", "/etc/passwd")]), tensor: "w", "external data location '/etc/passwd' is an absolute path"),
    .init("external: escapes with ..", ext([("location", "../../etc/passwd")]), tensor: "w", "external data location '../../etc/passwd' contains '..'"),
    .init("external: .. inside the path", ext([("location", "data/../../outside/secret.bin")]), tensor: "w", "contains '..'"),
    .init("external: symbolic link out of the folder", ext([("location", "w.bin")]), links: ["w.bin": "../outside/secret.bin"], tensor: "w",
          "external data location 'w.bin' resolves through a symbolic link to"),
    .init("external: linked folder out of the folder", ext([("location", "sub/secret.bin")]), links: ["sub": "../outside"], tensor: "w", "outside the model's folder"),
    .init("external: missing file", ext([("location", "nope.bin")]), tensor: "w", "external data file 'nope.bin' (next to the model, in"),
    .init("external: range past the end", ext([("location", "w.bin"), ("offset", "8"), ("length", "16")]), files: ["w.bin": sixteen], tensor: "w",
          "external data [8, 8 + 16) runs past the end of 'w.bin' (16 bytes)"),
    .init("external: offset past the end", ext([("location", "w.bin"), ("offset", "32")]), files: ["w.bin": sixteen], tensor: "w",
          "external data offset 32 is past the end of 'w.bin' (16 bytes)"),
    .init("external: huge offset", ext([("location", "w.bin"), ("offset", "9223372036854775807"), ("length", "16")]), files: ["w.bin": sixteen], tensor: "w", "is past the end"),
    .init("external: huge length", ext([("location", "w.bin"), ("offset", "8"), ("length", "9223372036854775807")]), files: ["w.bin": sixteen], tensor: "w", "runs past the end"),
    .init("external: length differs", ext([("location", "w.bin"), ("length", "8")]), files: ["w.bin": sixteen], tensor: "w",
          "external data length 8 bytes but dims [4] of float32 need 16 bytes"),
    .init("external: no location", ext([("offset", "0")]), tensor: "w", "data_location is EXTERNAL but external_data has no 'location'"),
    .init("external: negative offset", ext([("location", "w.bin"), ("offset", "-4")]), files: ["w.bin": sixteen], tensor: "w", "external_data 'offset' = '-4' is not a non-negative decimal integer"),
    .init("external: offset beyond Int", ext([("location", "w.bin"), ("offset", "99999999999999999999")]), files: ["w.bin": sixteen], tensor: "w",
          "external_data 'offset' = 99999999999999999999 is too large"),
    .init("external: also raw_data", ext([("location", "w.bin")], extra: P.bytes(9, sixteen)), files: ["w.bin": sixteen], tensor: "w",
          "data_location is EXTERNAL but the tensor also holds raw_data"),
    .init("external: a folder", ext([("location", "d")]), files: ["d/x": [1]], tensor: "w", "external data file 'd': is a folder"),
]
