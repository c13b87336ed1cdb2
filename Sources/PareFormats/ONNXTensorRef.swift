import PareTensor

/// One weight tensor of an ONNX model's main graph, as indexed by `ONNXFile`: what it is and where its
/// payload lives. The payload itself is read with `ONNXFile.withPayload(_:_:)`.
public struct ONNXTensorRef: Sendable, Hashable {
    /// The tensor's value name: an initializer's name; for a `Constant` node's `value` attribute, the node's
    /// output; for any other tensor-valued node attribute, `NODE/ATTRIBUTE` (`NODE/ATTRIBUTE[k]` for the k-th
    /// entry of a `tensors` list), where NODE is the node's name, or `node<i>` when it has none.
    public var name: String
    public var dtype: DType
    public var shape: Shape

    /// Where the `TensorProto` sits in the model.
    public enum Location: Sendable, Hashable {
        /// `graph.initializer[index]`.
        case initializer(index: Int)
        /// `graph.node[nodeIndex].attribute[...]` named `attribute` (`"value"` for a `Constant` node; `"NAME[k]"`
        /// for the k-th tensor of a TENSORS attribute).
        case constantNode(nodeIndex: Int, nodeName: String, attribute: String)
    }

    public var location: Location

    /// Bytes of the raw little-endian payload (`dtype.byteCount(elements:)` of the shape), whatever the
    /// storage in the file (raw_data, typed fields, external data).
    public var byteCount: Int

    /// The key that marks this tensor in the skeleton model (`doc_string = "pare-payload:<payloadKey>"`) and
    /// names its payload for `ONNXWriter.write`. Equal to `name` (names are unique within a file).
    public var payloadKey: String

    /// True when the skeleton's `TensorProto` carries the marker instead of the payload (payloads of at least
    /// `ONNXFile.stripThreshold` bytes, and every tensor stored as external data). Smaller tensors keep their
    /// data inline in the skeleton and are written back as they are.
    public var isStripped: Bool

    public init(name: String, dtype: DType, shape: Shape, location: Location, byteCount: Int, payloadKey: String, isStripped: Bool) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.location = location
        self.byteCount = byteCount
        self.payloadKey = payloadKey
        self.isStripped = isStripped
    }
}
