import Foundation
import PareBasics
import PareFormats
import PareONNXProto
import PareTensor
import SwiftProtobuf

/// An editable view of an ONNX model artifact, for passes that rewrite the graph.
///
/// On opening, every `Constant` node whose `value` is a tensor becomes an initializer of the same name (the same
/// model, in a form where each weight is an initializer). Passes read weights with `floats(_:)`, change nodes in
/// `graph.node`, and write new or changed weights with `setFloats(_:_:shape:)`; `finish()` stores the skeleton and
/// returns the new artifact:
/// - each written tensor is a float32 blob in the store and a stripped initializer marked with its payload key
///   (its name), so bundles stream it like any imported weight; its record starts a new history (origin = itself);
/// - initializers no node, graph output or subgraph uses any more are dropped, with their records;
/// - records keep the order of `graph.initializer`, then the node-attribute tensors that still exist.
public final class GraphEditor {
    /// The model skeleton being edited; `graph` is its main graph.
    public private(set) var model: Onnx_ModelProto
    public var graph: Onnx_GraphProto {
        get { model.graph }
        set { model.graph = newValue }
    }
    /// The artifact as opened.
    public let artifact: ModelArtifact
    let store: any BlobStore
    private var records: [String: TensorRecord]
    private var keys: [String: String]
    private var written: Set<String> = []

    /// Opens `artifact` (which must be ONNX).
    public init(_ artifact: ModelArtifact, store: any BlobStore) throws {
        guard let g = artifact.graph else {
            throw PassError(model: "the model", message: "has no graph; graph passes need an ONNX model")
        }
        self.artifact = artifact
        self.store = store
        model = try Onnx_ModelProto(serializedBytes: [UInt8](store.mapped(g)))
        var recs: [String: TensorRecord] = [:]
        for t in artifact.tensors { recs[t.name] = t }
        records = recs
        keys = artifact.payloadKeys ?? [:]
        // Constant nodes holding a tensor → initializers named by their output.
        var nodes: [Onnx_NodeProto] = []
        for n in model.graph.node {
            if n.opType == "Constant", n.domain.isEmpty || n.domain == "ai.onnx", n.output.count == 1, n.attribute.count == 1,
               n.attribute[0].name == "value", n.attribute[0].hasT {
                var t = n.attribute[0].t
                t.name = n.output[0]
                model.graph.initializer.append(t)
            } else {
                nodes.append(n)
            }
        }
        model.graph.node = nodes
    }

    // MARK: reading

    /// Whether `name` is an initializer (a weight or other constant).
    public func isInitializer(_ name: String) -> Bool { initializerIndex(name) != nil }

    /// The initializer's dims, or nil.
    public func shape(_ name: String) -> [Int]? {
        initializerIndex(name).map { graph.initializer[$0].dims.map(Int.init) }
    }

    /// The initializer's ONNX data type, or nil.
    public func dataType(_ name: String) -> Int32? {
        initializerIndex(name).map { graph.initializer[$0].dataType }
    }

    /// The record of a tensor (nil for tensors the artifact does not index).
    public func record(_ name: String) -> TensorRecord? { records[name] }

    /// Whether the tensor is stored quantized or otherwise encoded (graph passes need float weights).
    public func isEncoded(_ name: String) -> Bool { records[name]?.quant != nil || records[name]?.palette != nil }

    /// An initializer's values as float32 (float, float16, bfloat16, double, or integer types converted).
    public func floats(_ name: String) throws -> [Float] {
        guard let i = initializerIndex(name) else { throw PassError(tensor: name, message: "is not a constant of the graph") }
        if let r = records[name] {
            if r.quant != nil || r.palette != nil {
                throw PassError(tensor: name, message: "is already encoded by an earlier pass; graph passes need float weights")
            }
            if r.dtype.isFloatingPoint {
                return try PassContext(store: store, threads: 1).floats(of: r).withBuffer { Array($0) }
            }
        }
        return try ints(name, tensor: graph.initializer[i]).map { Float($0) }
    }

    /// An initializer's values as integers (int64, int32, int8, uint8, ... tensors).
    public func ints(_ name: String) throws -> [Int64] {
        guard let i = initializerIndex(name) else { throw PassError(tensor: name, message: "is not a constant of the graph") }
        return try ints(name, tensor: graph.initializer[i])
    }

    private func ints(_ name: String, tensor t: Onnx_TensorProto) throws -> [Int64] {
        let bytes: [UInt8]
        if ONNXPayloadMarker.key(of: t) != nil {
            guard let r = records[name] else { throw PassError(tensor: name, message: "has no stored payload") }
            bytes = [UInt8](try store.mapped(r.digest))
        } else if t.hasRawData {
            bytes = [UInt8](t.rawData)
        } else if !t.int64Data.isEmpty {
            return t.int64Data
        } else if !t.int32Data.isEmpty {
            return t.int32Data.map(Int64.init)
        } else {
            return t.floatData.map { Int64($0) }
        }
        return bytes.withUnsafeBytes { raw -> [Int64] in
            switch t.dataType {
            case 7: return raw.bindMemory(to: Int64.self).map { $0 }
            case 6: return raw.bindMemory(to: Int32.self).map(Int64.init)
            case 3: return raw.bindMemory(to: Int8.self).map(Int64.init)
            case 2: return raw.bindMemory(to: UInt8.self).map(Int64.init)
            case 1: return raw.bindMemory(to: Float.self).map { Int64($0) }
            default: return []
            }
        }
    }

    /// The node producing `value`, by index into `graph.node`.
    public func producer(of value: String) -> Int? {
        graph.node.firstIndex { $0.output.contains(value) }
    }

    /// Indices of the nodes reading `value`.
    public func consumers(of value: String) -> [Int] {
        graph.node.indices.filter { graph.node[$0].input.contains(value) }
    }

    /// Whether `value` is a graph output.
    public func isGraphOutput(_ value: String) -> Bool { graph.output.contains { $0.name == value } }

    /// A value or tensor name not used anywhere in the model, from `base`.
    public func uniqueName(_ base: String) -> String {
        var used = Set(graph.initializer.map(\.name))
        for n in graph.node { used.formUnion(n.output); used.formUnion(n.input); used.insert(n.name) }
        for v in graph.input { used.insert(v.name) }
        if !used.contains(base) { return base }
        var k = 1
        while used.contains("\(base).\(k)") { k += 1 }
        return "\(base).\(k)"
    }

    // MARK: writing

    /// Creates or replaces a float32 initializer. The values go to the store now; the tensor is stripped and marked.
    public func setFloats(_ name: String, _ values: [Float], shape: [Int]) throws {
        precondition(values.count == shape.reduce(1, *), "setFloats: \(values.count) values for shape \(shape)")
        let digest = try store.put(values)
        var t = initializerIndex(name).map { graph.initializer[$0] } ?? Onnx_TensorProto()
        t.name = name
        t.dataType = 1
        t.dims = shape.map(Int64.init)
        t.clearSegment()
        let key = keys[name] ?? uniqueKey(name)
        ONNXPayloadMarker.mark(&t, key: key)
        keys[name] = key
        if let i = initializerIndex(name) { model.graph.initializer[i] = t } else { model.graph.initializer.append(t) }
        var r = TensorRecord(name: name, dtype: .float32, shape: Shape(shape), digest: digest, byteCount: values.count * 4,
                             origin: digest, originDType: .float32)
        r.passes = records[name]?.passes ?? []
        records[name] = r
        written.insert(name)
    }

    /// Creates or replaces a small int64 initializer held inline in the skeleton (shapes, axes).
    public func setInts(_ name: String, _ values: [Int64], shape: [Int]) throws {
        var t = Onnx_TensorProto()
        t.name = name
        t.dataType = 7
        t.dims = shape.map(Int64.init)
        t.rawData = values.withUnsafeBytes { Data($0) }
        if let i = initializerIndex(name) { model.graph.initializer[i] = t } else { model.graph.initializer.append(t) }
        let digest = try store.put(values.withUnsafeBytes { [UInt8]($0) })
        records[name] = TensorRecord(name: name, dtype: .int64, shape: Shape(shape), digest: digest, byteCount: values.count * 8,
                                     origin: digest, originDType: .int64)
        keys[name] = nil
        written.insert(name)
    }

    /// Replaces the record of an existing tensor whose skeleton entry stays as it is (e.g. a quantized weight with
    /// new scales: same codes, same shape, a new `quant.scale` blob).
    public func setRecord(_ record: TensorRecord) {
        precondition(records[record.name] != nil, "setRecord: unknown tensor \(record.name)")
        records[record.name] = record
        written.insert(record.name)
    }

    /// Marks the tensor as changed by pass `id` (in its record's history).
    public func noteChanged(_ name: String, by id: String) {
        if records[name]?.passes.last != id { records[name]?.passes.append(id) }
    }

    /// Replaces every use of value `old` (node inputs and graph outputs keep their names: a graph output is
    /// never renamed; callers rename the producer instead) by `new`.
    public func replaceUses(of old: String, with new: String) {
        for i in graph.node.indices {
            for j in graph.node[i].input.indices where graph.node[i].input[j] == old { model.graph.node[i].input[j] = new }
        }
    }

    /// Removes the nodes at `indices`.
    public func removeNodes(_ indices: Set<Int>) {
        model.graph.node = graph.node.enumerated().filter { !indices.contains($0.offset) }.map(\.element)
    }

    /// Stores the edited skeleton and returns the new artifact (see the type's documentation).
    public func finish() throws -> ModelArtifact {
        var used = Set(graph.output.map(\.name))
        func collect(_ g: Onnx_GraphProto) {
            for n in g.node {
                used.formUnion(n.input)
                for a in n.attribute {
                    if a.hasG { collect(a.g) }
                    for sg in a.graphs { collect(sg) }
                }
            }
        }
        collect(graph)
        model.graph.initializer = graph.initializer.filter { used.contains($0.name) }
        let initializerNames = graph.initializer.map(\.name)
        let present = Set(initializerNames)
        var tensors: [TensorRecord] = initializerNames.compactMap { records[$0] }
        // Node-attribute tensors the indexer named "<node label>/<attribute>" (not Constant values, which are now
        // initializers): kept while such a node still exists.
        var attributeNames = Set<String>()
        for (i, n) in graph.node.enumerated() {
            let label = n.name.isEmpty ? "node\(i)" : n.name
            for a in n.attribute where a.hasT || !a.tensors.isEmpty { attributeNames.insert("\(label)/\(a.name)") }
        }
        for t in artifact.tensors where !present.contains(t.name) && attributeNames.contains(t.name) { tensors.append(t) }
        var payloadKeys: [String: String] = [:]
        for t in tensors { if let k = keys[t.name] { payloadKeys[t.name] = k } }
        let skeleton = try store.put(model.serializedBytes() as [UInt8])
        var out = ModelArtifact(format: artifact.format, metadata: artifact.metadata, tensors: tensors, graph: skeleton,
                                payloadKeys: payloadKeys)
        out.activations = artifact.activations
        return out
    }

    // MARK: private

    private func initializerIndex(_ name: String) -> Int? {
        graph.initializer.firstIndex { $0.name == name }
    }

    private func uniqueKey(_ name: String) -> String {
        let taken = Set(keys.values)
        if !taken.contains(name) { return name }
        var k = 1
        while taken.contains("\(name)#\(k)") { k += 1 }
        return "\(name)#\(k)"
    }
}
