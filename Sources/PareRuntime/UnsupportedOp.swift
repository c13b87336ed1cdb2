/// An op of a model that the interpreter lacks, with the nodes that use it (found before anything runs, by
/// `Interpreter.unsupportedOps`).
public struct UnsupportedOp: Sendable, Equatable, CustomStringConvertible {
    public var op: String
    /// "" for ai.onnx.
    public var domain: String
    public var nodeNames: [String]

    public init(op: String, domain: String, nodeNames: [String]) {
        self.op = op
        self.domain = domain
        self.nodeNames = nodeNames
    }

    public var description: String {
        let shown = nodeNames.prefix(3).map { "'\($0)'" }.joined(separator: ", ")
        let more = nodeNames.count > 3 ? " and \(nodeNames.count - 3) more" : ""
        return "\(domain.isEmpty ? op : "\(domain):\(op)") (nodes \(shown)\(more))"
    }
}
