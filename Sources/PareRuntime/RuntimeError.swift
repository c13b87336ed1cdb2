/// An error of the interpreter: loading a model it cannot run, bad inputs, or a node that fails (shape mismatch,
/// bad attribute, unsupported dtype). `node` and `op` name the node when there is one.
public struct RuntimeError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The node's name (or `#<index>` when it has none); nil for errors not tied to a node.
    public var node: String?
    /// The node's op type (`domain:op` outside ai.onnx).
    public var op: String?
    public var message: String

    public init(node: String? = nil, op: String? = nil, _ message: String) {
        self.node = node
        self.op = op
        self.message = message
    }

    public var description: String {
        guard let node else { return message }
        return "node '\(node)' (\(op ?? "?")): \(message)"
    }
}
