import Foundation
import Testing
@testable import PareFormats

@Suite struct ModelFileFormatTests {
    /// Real files from the reference libraries (onnx, gguf, safetensors) and from pare's writer.
    @Test func detectsRealFiles() throws {
        let code = #"""
import sys, numpy as np, onnx, gguf
from onnx import helper, TensorProto
from safetensors.numpy import save_file
d = sys.argv[1]
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y])
onnx.save(helper.make_model(g), d + "/model.onnx")
m = onnx.ModelProto(); m.producer_name = "no-ir-version"; m.graph.CopyFrom(g)
open(d + "/producer-first.onnx", "wb").write(m.SerializeToString())
w = gguf.GGUFWriter(d + "/model.gguf", "llama")
w.add_tensor("t", np.arange(8, dtype=np.float32))
w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
save_file({"t": np.arange(8, dtype=np.float32)}, d + "/py.safetensors")
"""#
        try TemporaryDirectory.with { dir in
            _ = try TestProcess.pythonSnippet(code, [dir])
            try SafetensorsWriter.write(to: dir + "/ours.safetensors", entries: [.init(name: "w", dtype: .uint8, shape: [3], source: .bytes([1, 2, 3]))], metadata: [:])
            #expect(try ModelFileFormat.detect(path: dir + "/model.onnx") == .onnx)
            #expect(try ModelFileFormat.detect(path: dir + "/producer-first.onnx") == .onnx)
            #expect(try ModelFileFormat.detect(path: dir + "/model.gguf") == .gguf)
            #expect(try ModelFileFormat.detect(path: dir + "/py.safetensors") == .safetensors)
            #expect(try ModelFileFormat.detect(path: dir + "/ours.safetensors") == .safetensors)
        }
    }

    @Test(arguments: [
        ("empty", []), ("text", Array("hello world, not a model".utf8)), ("json", Array(#"{"a": 1}"#.utf8)),
        ("zip", [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00]), ("png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
        ("safetensors length past end", [0x40, 0, 0, 0, 0, 0, 0, 0] + Array("{}".utf8)),
        ("safetensors without brace", [0x02, 0, 0, 0, 0, 0, 0, 0] + Array("[]".utf8)),
        ("protobuf with a non-ModelProto field", [0x48, 0x01, 0x12, 0x00]),
        ("ir_version with length-delimited wire type", [0x0A, 0x01, 0x00]),
        ("implausible ir_version", [0x08, 0xE8, 0x07, 0x12, 0x00]),
        ("graph longer than the file", [0x3A, 0x7F, 0x00]),
        ("GGU only", Array("GGU".utf8)),
    ] as [(String, [UInt8])])
    func unknownContentIsNil(label: String, bytes: [UInt8]) throws {
        try TemporaryDirectory.with { dir in
            let path = dir + "/file.bin"
            try TemporaryDirectory.write(bytes, to: path)
            #expect(try ModelFileFormat.detect(path: path) == nil, "\(label)")
        }
    }

    @Test(arguments: [
        ([0x08, 0x07, 0x12, 0x04] + Array("pare".utf8), ModelFileFormat.onnx),
        ([0x3A, 0x02, 0x0A, 0x00], .onnx),
        (Array("GGUF".utf8) + [3, 0, 0, 0], .gguf),
        ([0x02, 0, 0, 0, 0, 0, 0, 0] + Array("{}".utf8), .safetensors),
        // A safetensors length whose low byte is 0x08 must not be mistaken for ONNX's ir_version tag.
        ([0x08, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8), .safetensors),
    ] as [([UInt8], ModelFileFormat)])
    func sniffsPrefixes(bytes: [UInt8], expected: ModelFileFormat) {
        #expect(ModelFileFormat.detect(prefix: bytes, fileSize: bytes.count) == expected)
    }

    @Test func missingFileThrows() throws {
        let error = try #require(throws: FormatError.self) { try ModelFileFormat.detect(path: "/nonexistent/model.onnx") }
        #expect(error.file == "/nonexistent/model.onnx")
        #expect(error.message.contains("no such file"))
        try TemporaryDirectory.with { dir in
            let folder = try #require(throws: FormatError.self) { try ModelFileFormat.detect(path: dir) }
            #expect(folder.message.contains("folder"))
        }
    }
}
