/// How a graph uses one weight (an initializer or the output of a `Constant` node), and what that implies for
/// quantizing it. Produced by ``ONNXUsage/analyze(_:matMulNBitsBlockSize:)``.
public struct ONNXWeightUse: Sendable, Hashable {
    /// The initializer's name or the Constant node's output name.
    public var name: String
    /// Every node input that reads the weight, in node order (a node reading it twice appears twice). A use
    /// inside a subgraph (If / Loop / Scan body) is reported as the top-level node that owns the subgraph with
    /// `input` = −1.
    public var consumers: [Consumer]
    /// The output-channel axis to quantize per channel along, or nil when only per-tensor quantization is
    /// meaningful (see `reason`).
    public var channelAxis: Int?
    /// Why there is no channel axis (nil when there is one).
    public var reason: String?
    /// Whether the weight can become the `B` input of `com.microsoft.MatMulNBits`: a 2-D [K, N] tensor read only
    /// by MatMul nodes as input 1, with K divisible by the block size.
    public var matMulNBitsEligible: Bool

    public struct Consumer: Sendable, Hashable {
        /// Index of the node in `graph.node`.
        public var node: Int
        public var opType: String
        /// The node's domain ("" for the standard ONNX domain).
        public var domain: String
        /// Which input of the node reads the weight (−1 for a use inside a subgraph).
        public var input: Int

        public init(node: Int, opType: String, domain: String, input: Int) {
            self.node = node
            self.opType = opType
            self.domain = domain
            self.input = input
        }
    }

    public init(name: String, consumers: [Consumer], channelAxis: Int?, reason: String?, matMulNBitsEligible: Bool) {
        self.name = name
        self.consumers = consumers
        self.channelAxis = channelAxis
        self.reason = reason
        self.matMulNBitsEligible = matMulNBitsEligible
    }
}
