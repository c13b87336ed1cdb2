import Foundation
import PareONNXProto
import PareTensor

/// What a kernel sees of one node: its attributes, its inputs (nil for an omitted optional input), the opset of
/// its domain, and the tensor-valued attributes the model loader decoded. `fail` builds the node's error.
struct OpContext {
    let node: Onnx_NodeProto
    let label: String
    let opset: Int
    let inputs: [Tensor?]
    let tensorAttributes: [String: Tensor]

    func fail(_ message: String) -> RuntimeError {
        RuntimeError(node: label, op: node.domain.isEmpty || node.domain == "ai.onnx" ? node.opType : "\(node.domain):\(node.opType)", message)
    }

    // MARK: inputs

    /// Input `i`, which must be present.
    func input(_ i: Int) throws -> Tensor {
        guard i < inputs.count, let t = inputs[i] else { throw fail("input \(i) is required") }
        return t
    }

    /// Input `i`, or nil when omitted.
    func optionalInput(_ i: Int) -> Tensor? { i < inputs.count ? inputs[i] : nil }

    /// Input `i` as float values (it must be a float tensor).
    func floatInput(_ i: Int) throws -> (values: [Float], shape: [Int], dtype: DType) {
        let t = try input(i)
        guard let f = t.floats else { throw fail("input \(i) is \(t.dtype); expected a float tensor") }
        return (f, t.shape, t.dtype)
    }

    /// Input `i` as integers (it must be an integer tensor), e.g. a shape, axes or indices.
    func intInput(_ i: Int) throws -> [Int] {
        let t = try input(i)
        guard let v = t.ints else { throw fail("input \(i) is \(t.dtype); expected an integer tensor") }
        return v.map { Int(truncatingIfNeeded: $0) }
    }

    /// Optional integer input `i` (nil when omitted).
    func optionalIntInput(_ i: Int) throws -> [Int]? {
        guard optionalInput(i) != nil else { return nil }
        return try intInput(i)
    }

    // MARK: attributes

    func attribute(_ name: String) -> Onnx_AttributeProto? { node.attribute.first { $0.name == name } }

    func int(_ name: String, _ defaultValue: Int) -> Int { attribute(name).map { Int($0.i) } ?? defaultValue }
    func int(_ name: String) -> Int? { attribute(name).map { Int($0.i) } }
    func float(_ name: String, _ defaultValue: Float) -> Float { attribute(name).map { $0.f } ?? defaultValue }
    func ints(_ name: String) -> [Int]? { attribute(name).map { $0.ints.map { Int($0) } } }
    func floats(_ name: String) -> [Float]? { attribute(name).map { $0.floats } }
    func string(_ name: String, _ defaultValue: String) -> String {
        attribute(name).map { String(decoding: $0.s, as: UTF8.self) } ?? defaultValue
    }

    /// An axis attribute or value normalized to `0..<rank` (negative counts from the end).
    func axis(_ a: Int, rank: Int, what: String = "axis") throws -> Int {
        let r = a < 0 ? a + rank : a
        guard r >= 0 && r < rank else { throw fail("\(what) \(a) is out of range for a rank-\(rank) input") }
        return r
    }
}
