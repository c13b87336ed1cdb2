import PareFormats
import PareONNXProto

extension BundleWriter {
    /// The payload key prefix of data moved out of the encoded model (`moveInlineData`).
    static let inlinePayloadPrefix = "pare-inline:"

    /// Moves the raw_data of every tensor the encoder wrote inline — quantized weights and their scales and zero
    /// points, float16 copies, replaced float values — into `payloads` when it has at least
    /// `ONNXWriter.externalThreshold` bytes, marking the tensor (`ONNXPayloadMarker`) so the writer puts it back.
    /// With a sidecar, `ONNXWriter` then sends every large tensor to external data, not only the unchanged weights
    /// streamed from the content store; without this a model whose weights were all re-encoded would keep them
    /// in `model.onnx`, and one over 2 GiB could not be written. Covers initializers and the tensors of node
    /// attributes (Constant values), as the writer does. Keys are made from tensor names, so they are deterministic.
    static func moveInlineData(_ model: inout Onnx_ModelProto, payloads: inout [String: ONNXWriter.PayloadSource]) {
        var used = Set(payloads.keys)
        func move(_ t: inout Onnx_TensorProto, name: String) {
            guard ONNXPayloadMarker.key(of: t) == nil, t.hasRawData, t.rawData.count >= ONNXWriter.externalThreshold else { return }
            var key = inlinePayloadPrefix + name
            var n = 1
            while used.contains(key) {
                n += 1
                key = "\(inlinePayloadPrefix)\(name)#\(n)"
            }
            used.insert(key)
            payloads[key] = .bytes([UInt8](t.rawData))
            ONNXPayloadMarker.mark(&t, key: key)
        }
        var graph = model.graph
        for i in graph.initializer.indices { move(&graph.initializer[i], name: graph.initializer[i].name) }
        for i in graph.node.indices {
            let node = graph.node[i].name.isEmpty ? "node\(i)" : graph.node[i].name
            for j in graph.node[i].attribute.indices {
                let attribute = graph.node[i].attribute[j].name
                if graph.node[i].attribute[j].hasT { move(&graph.node[i].attribute[j].t, name: "\(node)/\(attribute)") }
                for k in graph.node[i].attribute[j].tensors.indices {
                    move(&graph.node[i].attribute[j].tensors[k], name: "\(node)/\(attribute)[\(k)]")
                }
            }
        }
        model.graph = graph
    }
}
