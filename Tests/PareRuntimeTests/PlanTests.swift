import Foundation
import Testing
import PareONNXProto
import PareRuntime

/// Plan-time checks: unsupported ops are listed before anything runs; a graph out of topological order is an
/// error naming the node; missing and mistyped inputs are errors.
struct PlanTests {
    @Test func unsupportedOpsAreListedWithTheirNodes() throws {
        var m = OneNodeModel()
        m.inputs = [("x", f([1, 2], [2]))]
        m.nodes = [M.node("Relu", ["x"], ["a"], name: "relu"),
                   M.node("Einsum", ["a"], ["b"], name: "e1"),
                   M.node("NonZero", ["b"], ["c"], name: "nz"),
                   M.node("Einsum", ["c"], ["d"], name: "e2"),
                   M.node("FusedGemm", ["d"], ["y"], name: "fg", domain: "com.microsoft")]
        m.outputs = ["y"]
        let path = try m.write()
        let model = try Onnx_ModelProto(serializedBytes: Data(contentsOf: URL(fileURLWithPath: path)))
        let missing = Interpreter.unsupportedOps(model)
        #expect(missing == [UnsupportedOp(op: "Einsum", domain: "", nodeNames: ["e1", "e2"]),
                            UnsupportedOp(op: "NonZero", domain: "", nodeNames: ["nz"]),
                            UnsupportedOp(op: "FusedGemm", domain: "com.microsoft", nodeNames: ["fg"])])
        do {
            _ = try Interpreter(path: path)
            Issue.record("expected an error")
        } catch let e as RuntimeError {
            #expect(e.description.contains("Einsum") && e.description.contains("'e1'") && e.description.contains("com.microsoft:FusedGemm"))
        }
        #expect(Interpreter.unsupportedOps(try Onnx_ModelProto(serializedBytes: try OneNodeModel.fixtureModel())).isEmpty)
    }

    @Test func outOfOrderGraphNamesTheNode() throws {
        var m = OneNodeModel()
        m.inputs = [("x", f([1, 2], [2]))]
        m.nodes = [M.node("Relu", ["a"], ["y"], name: "second"), M.node("Neg", ["x"], ["a"], name: "first")]
        m.outputs = ["y"]
        do {
            _ = try Interpreter(path: try m.write())
            Issue.record("expected an error")
        } catch let e as RuntimeError {
            #expect(e.node == "second" && e.op == "Relu" && e.description.contains("'a'"))
        }
    }

    @Test func inputsAreChecked() throws {
        var m = OneNodeModel()
        m.inputs = [("x", f([1, 2], [2]))]
        m.nodes = [M.node("Relu", ["x"], ["y"])]
        m.outputs = ["y"]
        let interp = try Interpreter(path: try m.write())
        #expect(throws: RuntimeError.self) { try interp.run([:]) }
        #expect(throws: RuntimeError.self) { try interp.run(["x": i64([1], [1])]) }
        #expect(throws: RuntimeError.self) { try interp.run(["x": f([1], [1]), "z": f([1], [1])]) }
        #expect(try interp.run(["x": f([-1, 2], [2])])["y"]?.floats == [0, 2])
    }

    @Test func intermediatesAreFreedAndChainsRun() throws {
        // x → Neg → Relu → Add(x) : y = relu(−x) + x
        var m = OneNodeModel()
        m.inputs = [("x", f([-1, 2], [2]))]
        m.nodes = [M.node("Neg", ["x"], ["a"], name: "neg"), M.node("Relu", ["a"], ["b"], name: "relu"), M.node("Add", ["b", "x"], ["y"], name: "add")]
        m.outputs = ["y"]
        #expect(try m.run()["y"]?.floats == [0, 2])
    }
}

extension OneNodeModel {
    /// The fixture CNN's bytes (opset 17).
    static func fixtureModel() throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: try Support.fixtures(opset: 17) + "/cnn.onnx"))
    }
}
