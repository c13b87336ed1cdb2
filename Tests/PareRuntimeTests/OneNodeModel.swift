import Foundation
import PareFormats
import PareONNXProto
import PareRuntime
import PareTensor
import SwiftProtobuf

/// A model built in Swift around one node (or a few), written to a temporary file and run by the interpreter:
/// every node input is a graph input (no initializers), so per-op tests control every value.
struct OneNodeModel {
    var nodes: [Onnx_NodeProto] = []
    var inputs: [(String, Tensor)] = []
    var outputs: [String] = []
    var opset = 17

    static func attr(_ name: String, _ v: Int) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .int; a.i = Int64(v); return a
    }
    static func attr(_ name: String, _ v: [Int]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .ints; a.ints = v.map { Int64($0) }; return a
    }
    static func attr(_ name: String, _ v: Float) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .float; a.f = v; return a
    }
    static func attr(_ name: String, _ v: String) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .string; a.s = Data(v.utf8); return a
    }

    static func node(_ op: String, _ inputs: [String], _ outputs: [String], name: String = "n0", domain: String = "", _ attrs: [Onnx_AttributeProto] = []) -> Onnx_NodeProto {
        var n = Onnx_NodeProto()
        n.opType = op
        n.input = inputs
        n.output = outputs
        n.name = name
        if !domain.isEmpty { n.domain = domain }
        n.attribute = attrs
        return n
    }

    /// Writes the model; returns its path (in a fresh temporary folder).
    func write() throws -> String {
        var m = Onnx_ModelProto()
        m.irVersion = 10
        var std = Onnx_OperatorSetIdProto(); std.domain = ""; std.version = Int64(opset)
        var ms = Onnx_OperatorSetIdProto(); ms.domain = "com.microsoft"; ms.version = 1
        m.opsetImport = [std, ms]
        var g = Onnx_GraphProto()
        g.name = "test"
        g.node = nodes
        for (name, t) in inputs {
            var vi = Onnx_ValueInfoProto()
            vi.name = name
            var tt = Onnx_TypeProto.Tensor()
            tt.elemType = Int32(ONNXDataType.code(of: t.dtype))
            vi.type.tensorType = tt
            g.input.append(vi)
        }
        for name in outputs {
            var vi = Onnx_ValueInfoProto()
            vi.name = name
            g.output.append(vi)
        }
        m.graph = g
        let dir = NSTemporaryDirectory() + "pare-runtime-op-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/model.onnx"
        try Data(m.serializedBytes() as [UInt8]).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Runs the model on its inputs.
    func run() throws -> [String: Tensor] {
        let path = try write()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path) }
        return try Interpreter(path: path).run(Dictionary(uniqueKeysWithValues: inputs))
    }

    /// One node `op` reading inputs x0, x1, … (nil: omitted optional input) and writing y0, y1, ….
    static func run(_ op: String, _ inputs: [Tensor?], outputs: Int = 1, opset: Int = 17, domain: String = "",
                    _ attrs: [Onnx_AttributeProto] = []) throws -> [Tensor] {
        var m = OneNodeModel()
        m.opset = opset
        var names: [String] = []
        for (i, t) in inputs.enumerated() {
            if let t { names.append("x\(i)"); m.inputs.append(("x\(i)", t)) } else { names.append("") }
        }
        m.outputs = (0..<outputs).map { "y\($0)" }
        m.nodes = [node(op, names, m.outputs, domain: domain, attrs)]
        let r = try m.run()
        return m.outputs.map { r[$0]! }
    }
}
