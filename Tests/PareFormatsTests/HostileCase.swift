import PareTensor
import Testing

/// A file: 8-byte little-endian length (of `header` unless `length` overrides it), the header, `dataSize` bytes.
func safetensorsFile(header: [UInt8], dataSize: Int, length: UInt64? = nil) -> [UInt8] {
    let n = length ?? UInt64(header.count)
    return (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) } + header + [UInt8](repeating: 0xAB, count: dataSize)
}

func safetensorsFile(_ header: String, dataSize: Int) -> [UInt8] {
    safetensorsFile(header: Array(header.utf8), dataSize: dataSize)
}

/// One hostile input and the error it must produce.
struct HostileCase: Sendable, CustomTestStringConvertible {
    var label: String
    var bytes: [UInt8]
    /// The file size to claim when it differs from `bytes.count` (only for `parse`).
    var claimedSize: Int?
    var tensor: String?
    var fragment: String
    var testDescription: String { label }

    init(_ label: String, _ bytes: [UInt8], size: Int? = nil, tensor: String? = nil, _ fragment: String) {
        self.label = label
        self.bytes = bytes
        self.claimedSize = size
        self.tensor = tensor
        self.fragment = fragment
    }

    init(_ label: String, header: String, data: Int, tensor: String? = nil, _ fragment: String) {
        self.init(label, safetensorsFile(header, dataSize: data), tensor: tensor, fragment)
    }
}

/// `"name":{"dtype":"F32","shape":SHAPE,"data_offsets":OFFSETS}` with the given JSON texts.
func f32Entry(_ name: String, _ shape: String, _ offsets: String) -> String {
    #""\#(name)":{"dtype":"F32","shape":\#(shape),"data_offsets":\#(offsets)}"#
}

let hostileCases: [HostileCase] = [
    .init("empty file", [], "file is 0 bytes, too short"),
    .init("3-byte file", [1, 2, 3], "file is 3 bytes, too short"),
    .init("header length past end of file", safetensorsFile(header: Array("{}".utf8), dataSize: 0, length: 100), "header length 100 bytes is more than the 2 bytes"),
    .init("header length over 100 MB", safetensorsFile(header: Array("{}".utf8), dataSize: 0, length: 200_000_000), size: 300_000_000, "exceeds the 100 MB limit"),
    .init("header length UInt64.max", safetensorsFile(header: Array("{}".utf8), dataSize: 0, length: .max), "header length 18446744073709551615 bytes exceeds"),
    .init("header length 0", safetensorsFile(header: [], dataSize: 4), "too short for a JSON object"),
    .init("header bytes missing (claimed file size larger than given bytes)", safetensorsFile(header: Array("{}".utf8), dataSize: 0, length: 6), size: 20, "only 2 of the 6 header bytes"),
    .init("non-UTF-8 header", safetensorsFile(header: Array(#"{"a"#.utf8) + [0xFF] + Array(#"":{}}"#.utf8), dataSize: 0), "not valid UTF-8 (byte 0xff at header offset 3, file offset 11)"),
    .init("overlong UTF-8", safetensorsFile(header: Array(#"{""#.utf8) + [0xC0, 0xAF] + Array(#"":{}}"#.utf8), dataSize: 0), "not valid UTF-8"),
    .init("truncated JSON", header: #"{"w":{"dtype":"F32","#, data: 0, "not valid JSON"),
    .init("JSON with trailing garbage", header: "{} x", data: 0, "not valid JSON: unexpected 'x' after the end of the JSON value at header offset 3"),
    .init("lone surrogate", header: #"{"\ud800":{}}"#, data: 0, "unpaired UTF-16 surrogate"),
    .init("raw control character", header: "{\"a\u{1}\":{}}", data: 0, "control character 0x01"),
    .init("leading zero number", header: #"{"w":{"dtype":"F32","shape":[01],"data_offsets":[0,4]}}"#, data: 4, "leading zeros"),
    .init("deep nesting", header: "{\"w\":" + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "}", data: 0, "nested deeper than 64 levels"),
    .init("array, not object", header: "[1,2,3]", data: 0, "header is an array, not a JSON object"),
    .init("string, not object", header: #""hello""#, data: 0, "header is a string, not a JSON object"),
    .init("leading white space", header: "  {}", data: 0, "starts with white space"),
    .init("entry not an object", header: #"{"w":5}"#, data: 0, tensor: "w", "entry is a number"),
    .init("missing dtype", header: #"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, data: 4, tensor: "w", "entry has no 'dtype'"),
    .init("missing shape", header: #"{"w":{"dtype":"F32","data_offsets":[0,4]}}"#, data: 4, tensor: "w", "entry has no 'shape'"),
    .init("missing data_offsets", header: #"{"w":{"dtype":"F32","shape":[1]}}"#, data: 4, tensor: "w", "entry has no 'data_offsets'"),
    .init("dtype not a string", header: #"{"w":{"dtype":5,"shape":[1],"data_offsets":[0,4]}}"#, data: 4, tensor: "w", "'dtype' is a number, expected a string"),
    .init("unsupported dtype", header: #"{"w":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}"#, data: 1, tensor: "w", "unsupported dtype 'F8_E4M3'; pare reads BF16, BOOL, F16, F32, F64, I16, I32, I64, I8, U16, U32, U64, U8"),
    .init("shape not an array", header: #"{"w":{"dtype":"F32","shape":"3","data_offsets":[0,12]}}"#, data: 12, tensor: "w", "'shape' is a string, expected an array"),
    .init("negative dim", header: "{" + f32Entry("w", "[-1]", "[0,4]") + "}", data: 4, tensor: "w", "shape[0] = -1 is negative"),
    .init("fractional dim", header: "{" + f32Entry("w", "[2,2.5]", "[0,4]") + "}", data: 4, tensor: "w", "shape[1] = 2.5 is not an integer"),
    .init("exponent dim", header: "{" + f32Entry("w", "[1e3]", "[0,4000]") + "}", data: 4000, tensor: "w", "shape[0] = 1e3 is not an integer"),
    .init("string dim", header: "{" + f32Entry("w", #"["3"]"#, "[0,12]") + "}", data: 12, tensor: "w", "shape[0] is a string"),
    .init("null dim", header: "{" + f32Entry("w", "[null]", "[0,4]") + "}", data: 4, tensor: "w", "shape[0] is null"),
    .init("dim beyond Int", header: "{" + f32Entry("w", "[99999999999999999999]", "[0,4]") + "}", data: 4, tensor: "w", "shape[0] = 99999999999999999999 is too large"),
    .init("element count overflow", header: "{" + f32Entry("w", "[4294967296,4294967296]", "[0,4]") + "}", data: 4, tensor: "w", "more elements than a 64-bit integer can count"),
    .init("element count overflow with a zero dim first", header: "{" + f32Entry("w", "[9223372036854775807,2,0]", "[0,0]") + "}", data: 0, tensor: "w", "more elements than a 64-bit integer can count"),
    .init("byte count overflow", header: #"{"w":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,8]}}"#, data: 8, tensor: "w", "needs more bytes than a 64-bit integer can count"),
    .init("data_offsets not an array", header: "{" + f32Entry("w", "[1]", "4") + "}", data: 4, tensor: "w", "'data_offsets' is a number"),
    .init("data_offsets with one item", header: "{" + f32Entry("w", "[1]", "[4]") + "}", data: 4, tensor: "w", "'data_offsets' has 1 items, expected 2"),
    .init("negative offset", header: "{" + f32Entry("w", "[1]", "[-4,0]") + "}", data: 4, tensor: "w", "data_offsets[0] = -4 is negative"),
    .init("fractional offset", header: "{" + f32Entry("w", "[1]", "[0,4.0]") + "}", data: 4, tensor: "w", "data_offsets[1] = 4.0 is not an integer"),
    .init("offset beyond Int", header: "{" + f32Entry("w", "[1]", "[0,18446744073709551620]") + "}", data: 4, tensor: "w", "data_offsets[1] = 18446744073709551620 is too large"),
    .init("begin after end", header: "{" + f32Entry("w", "[1]", "[8,4]") + "}", data: 8, tensor: "w", "data_offsets [8, 4] begin after end"),
    .init("end past the data section", header: "{" + f32Entry("fc.weight", "[1024]", "[0,4096]") + "}", data: 1024, tensor: "fc.weight", "data_offsets [0, 4096] end past the data section (1024 bytes); the file is truncated or corrupt — re-export it"),
    .init("huge end past the data section", header: "{" + f32Entry("w", "[1]", "[9223372036854775803,9223372036854775807]") + "}", data: 4, tensor: "w", "end past the data section (4 bytes)"),
    .init("length differs from shape", header: "{" + f32Entry("w", "[3]", "[0,8]") + "}", data: 8, tensor: "w", "hold 8 bytes but shape [3] of F32 needs 12 (3 elements × 4 bytes)"),
    .init("overlapping tensors", header: "{" + f32Entry("a", "[2]", "[0,8]") + "," + f32Entry("b", "[2]", "[4,12]") + "}", data: 12, tensor: "b", "data_offsets [4, 12] overlap tensor 'a' [0, 8]"),
    .init("empty tensor inside another", header: "{" + f32Entry("a", "[2]", "[0,8]") + "," + f32Entry("e", "[0]", "[4,4]") + "}", data: 8, tensor: "e", "overlap tensor 'a'"),
    .init("same range twice", header: "{" + f32Entry("a", "[1]", "[0,4]") + "," + f32Entry("b", "[1]", "[0,4]") + "}", data: 4, tensor: "b", "overlap tensor 'a'"),
    .init("hole between tensors", header: "{" + f32Entry("a", "[1]", "[0,4]") + "," + f32Entry("b", "[1]", "[8,12]") + "}", data: 12, tensor: "b", "leave bytes [4, 8) of the data section before it unused"),
    .init("hole at the start", header: "{" + f32Entry("a", "[1]", "[4,8]") + "}", data: 8, tensor: "a", "leave bytes [0, 4)"),
    .init("trailing bytes", header: "{" + f32Entry("a", "[1]", "[0,4]") + "}", data: 8, "data section has 4 unused bytes after the last tensor 'a'"),
    .init("data but no tensors", header: "{}", data: 3, "data section has 3 unused bytes and no tensor uses them"),
    .init("duplicate tensor", header: "{" + f32Entry("a", "[1]", "[0,4]") + "," + f32Entry("a", "[1]", "[4,8]") + "}", data: 8, tensor: "a", "appears twice in the header"),
    .init("duplicate field", header: #"{"w":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}}"#, data: 4, tensor: "w", "field 'dtype' appears twice"),
    .init("duplicate __metadata__", header: #"{"__metadata__":{},"__metadata__":{}}"#, data: 0, "'__metadata__' appears twice"),
    .init("metadata not an object", header: #"{"__metadata__":[1]}"#, data: 0, "'__metadata__' is an array"),
    .init("metadata value not a string", header: #"{"__metadata__":{"epochs":3}}"#, data: 0, "'__metadata__' key 'epochs' is a number"),
    .init("duplicate metadata key", header: #"{"__metadata__":{"k":"a","k":"b"}}"#, data: 0, "'__metadata__' key 'k' appears twice"),
]
