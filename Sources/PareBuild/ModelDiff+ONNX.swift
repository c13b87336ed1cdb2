import Foundation
import PareBasics
import PareFormats
import PareKernels
import PareONNXProto
import PareTensor

extension ModelDiff {
    /// Effective weights of an ONNX model's main graph (see docs/diff.md).
    ///
    /// Constants are the indexed initializers and `Constant` node `value` tensors. A value is *constant-derived*
    /// when it is a constant or the output of a standard-domain `DequantizeLinear`, `Cast`, `Reshape`,
    /// `Transpose`, `Sub` or `Mul` whose inputs are all constant-derived. The listed weights are the float
    /// constant-derived values that something else reads (another operator, a graph output) or that nothing reads,
    /// plus one `[K, N]` weight per `com.microsoft.MatMulNBits` with constant B / scales / zero points, named
    /// after B without the encoder's `_B` suffix. Values are computed on demand, one weight at a time.
    public final class ONNXWeights: WeightSource {
        public let path: String
        public let weights: [WeightInfo]
        let file: ONNXFile
        let nodes: [Onnx_NodeProto]
        /// Constant name → indexed tensor.
        let constants: [String: ONNXTensorRef]
        /// Value name → index of the evaluable node producing it.
        let producer: [String: Int]
        /// Listed MatMulNBits weight name → node index.
        let nbits: [String: Int]

        static let evaluableOps: Set<String> = ["DequantizeLinear", "Cast", "Reshape", "Transpose", "Sub", "Mul"]

        /// Opens and indexes the model and finds its effective weights (no payload is read).
        /// - Throws: `DiagnosticError` naming the file when it is not a readable ONNX model.
        public init(path: String) throws {
            self.path = path
            do { file = try ONNXFile(path: path) } catch { throw ModelDiff.fileError(path, "\(error)") }
            let graph = file.model.graph
            let nodes = graph.node
            self.nodes = nodes
            var constants: [String: ONNXTensorRef] = [:]
            for t in file.tensors {
                switch t.location {
                case .initializer: constants[t.name] = t
                case .constantNode(_, _, let attribute) where attribute == "value": constants[t.name] = t
                default: break
                }
            }
            self.constants = constants

            // Evaluable nodes, found in a fixed point over the node list (a graph is topologically sorted, but
            // this does not rely on it).
            var derived = Set(constants.keys)
            var producer: [String: Int] = [:]
            var changed = true
            while changed {
                changed = false
                for (i, n) in nodes.enumerated() where producer[n.output.first ?? ""] == nil {
                    guard ONNXWeights.isStandard(n), ONNXWeights.evaluableOps.contains(n.opType), let out = n.output.first, !out.isEmpty,
                          derived.contains(out) == false,
                          n.input.allSatisfy({ $0.isEmpty || derived.contains($0) }), !(n.input.first ?? "").isEmpty else { continue }
                    producer[out] = i
                    derived.insert(out)
                    changed = true
                }
            }
            self.producer = producer

            // Who reads what: a value is internal when only evaluable nodes (and MatMulNBits parameter inputs) read it.
            var externalRead = Set(graph.output.map(\.name))
            var readByEvaluable = Set<String>()
            var nbits: [String: Int] = [:]
            for (i, n) in nodes.enumerated() {
                let isEvaluable = n.output.first.map { producer[$0] == i } ?? false
                let isNBits = n.opType == "MatMulNBits" && n.domain == "com.microsoft" && n.input.count >= 3
                    && n.input[1...2].allSatisfy { constants[$0] != nil }
                    && (n.input.count < 4 || n.input[3].isEmpty || constants[n.input[3]] != nil)
                    && (n.input.count < 5 || n.input[4].isEmpty)
                for (k, input) in n.input.enumerated() where !input.isEmpty {
                    if isEvaluable || (isNBits && (1...3).contains(k)) { readByEvaluable.insert(input) } else { externalRead.insert(input) }
                }
                for a in n.attribute {
                    // Outer-scope values read inside subgraphs count as external reads.
                    if a.hasG { ONNXWeights.collectInputs(a.g, into: &externalRead) }
                    for g in a.graphs { ONNXWeights.collectInputs(g, into: &externalRead) }
                }
                if isNBits {
                    var name = n.input[1]
                    if let r = name.range(of: "_B", options: .backwards) {
                        let rest = name[r.upperBound...]
                        if rest.isEmpty || (rest.first == "_" && rest.dropFirst().allSatisfy(\.isNumber) && rest.count > 1) {
                            name = String(name[..<r.lowerBound])
                        }
                    }
                    if nbits[name] == nil { nbits[name] = i }
                }
            }
            self.nbits = nbits

            var list: [WeightInfo] = []
            var seen = Set<String>()
            func consider(_ name: String) {
                guard !seen.contains(name), derived.contains(name) else { return }
                guard externalRead.contains(name) || !readByEvaluable.contains(name) else { return }
                seen.insert(name)
                if let d = ONNXWeights.describe(name, nodes: nodes, producer: producer, constants: constants), d.dtype.isFloatingPoint {
                    list.append(WeightInfo(name: name, storedDType: d.stored.rawValue, encoding: d.encoding))
                }
            }
            // File order: constants first, then computed values in node order; MatMulNBits weights where their node is.
            for t in file.tensors where constants[t.name] == t { consider(t.name) }
            for (i, n) in nodes.enumerated() {
                if let out = n.output.first, producer[out] == i { consider(out) }
                for (name, j) in nbits where j == i && !seen.contains(name) {
                    seen.insert(name)
                    let bits = ONNXWeights.intAttr(n, "bits") ?? 4
                    let block = ONNXWeights.intAttr(n, "block_size") ?? 0
                    list.append(WeightInfo(name: name, storedDType: bits == 8 ? "uint8" : "uint\(bits)", encoding: "MatMulNBits \(bits)-bit block \(block)"))
                }
            }
            weights = list

        }

        /// The stored dtype behind `name`, the dtype of its value, and how it is encoded (static, no payloads).
        static func describe(_ name: String, nodes: [Onnx_NodeProto], producer: [String: Int],
                             constants: [String: ONNXTensorRef]) -> (stored: DType, dtype: DType, encoding: String)? {
            var depth = 0
            func go(_ name: String) -> (stored: DType, dtype: DType, encoding: String)? {
                depth += 1
                defer { depth -= 1 }
                if depth > 64 { return nil }
                if let i = producer[name] { return describeNode(nodes[i], constants: constants, go) }
                if let c = constants[name] { return (c.dtype, c.dtype, "plain") }
                return nil
            }
            return go(name)
        }

        static func isStandard(_ n: Onnx_NodeProto) -> Bool { n.domain.isEmpty || n.domain == "ai.onnx" }

        static func attr(_ n: Onnx_NodeProto, _ name: String) -> Onnx_AttributeProto? { n.attribute.first { $0.name == name } }

        static func intAttr(_ n: Onnx_NodeProto, _ name: String) -> Int? { attr(n, name).map { Int($0.i) } }

        static func collectInputs(_ g: Onnx_GraphProto, into set: inout Set<String>) {
            for n in g.node {
                for i in n.input where !i.isEmpty { set.insert(i) }
                for a in n.attribute {
                    if a.hasG { collectInputs(a.g, into: &set) }
                    for s in a.graphs { collectInputs(s, into: &set) }
                }
            }
        }

        /// The encoding description of an evaluable node's output, from its inputs' descriptions.
        static func describeNode(_ n: Onnx_NodeProto, constants: [String: ONNXTensorRef],
                                 _ go: (String) -> (stored: DType, dtype: DType, encoding: String)?) -> (stored: DType, dtype: DType, encoding: String)? {
            guard let x = go(n.input[0]) else { return nil }
            switch n.opType {
            case "DequantizeLinear":
                let scaleType = n.input.count > 1 ? go(n.input[1])?.dtype ?? .float32 : .float32
                var form = ""
                if n.input.count > 1, let s = constants[n.input[1]] {
                    let block = intAttr(n, "block_size") ?? 0
                    let rank = s.shape.dims.count
                    var axis = intAttr(n, "axis") ?? 1
                    if let xr = constants[n.input[0]]?.shape.dims.count, axis < 0 { axis += xr }
                    if (s.shape.elementCount ?? 0) <= 1 && rank <= 1 { form = " per-tensor" }
                    else if block > 0 { form = " blocked \(block) axis \(axis)" }
                    else { form = " per-axis axis \(axis)" }
                }
                return (x.stored, scaleType, "DequantizeLinear \(x.stored.rawValue)\(form)")
            case "Cast":
                let to = ONNXDataType.dtype(code: intAttr(n, "to") ?? 1) ?? .float32
                let enc = x.encoding == "plain" ? "Cast \(x.stored.rawValue)" : x.encoding + " + Cast"
                return (x.stored, to, enc)
            case "Sub", "Mul":
                let y = n.input.count > 1 ? go(n.input[1]) : nil
                let d = x.encoding != "plain" || y == nil || y!.encoding == "plain" ? x : y!
                var enc = d.encoding
                if enc.hasPrefix("Cast"), !enc.contains(" + "), let space = enc.firstIndex(of: " ") {
                    enc = String(enc[..<space]) + "/\(n.opType)" + String(enc[space...])
                } else {
                    enc += " + \(n.opType)"
                }
                return (d.stored, x.dtype, enc)
            default:   // Reshape, Transpose
                return (x.stored, x.dtype, x.encoding + " + \(n.opType)")
            }
        }

        public func load(_ name: String) throws -> Values {
            if let i = nbits[name] { return try matMulNBits(nodes[i], name: name) }
            var memo: [String: Value] = [:]
            let v = try evaluate(name, memo: &memo, depth: 0)
            guard case .float(let f) = v.data else { throw ModelDiff.tensorError(path, name, "is not a float tensor") }
            return Values(shape: v.shape, values: f)
        }
    }
}
