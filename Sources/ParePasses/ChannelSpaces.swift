import PareONNXProto

/// The channel spaces of an ONNX graph, for structured (channel) pruning.
///
/// A space starts at a producer — a Conv with `group` 1 (output channels, axis 1), a Gemm with a constant B
/// (output columns) or a MatMul with a constant 2-D [K, N] weight (N) — and follows the values that carry its
/// channels through channel-preserving ops (BatchNormalization, Relu, Clip, LeakyRelu, Sigmoid, Tanh, Erf,
/// Dropout, Identity, MaxPool, AveragePool, GlobalAveragePool, Flatten, Add/Sub/Mul/Div with a scalar or
/// per-channel constant, and a depthwise Conv, which shrinks on both sides) into consumers that shrink on their
/// input side (Conv group 1, Gemm / MatMul with a constant weight; after a Flatten of C×H×W, H·W rows per channel).
/// An Add/Sub/Mul/Div of two values joins the spaces reaching it (union-find): they drop the same channels. A space
/// reaching a graph output, an op it does not understand, or a join one of whose inputs no space reaches, is not
/// prunable; `reason` says why.
public struct ChannelSpaces {
    /// What happens to one node input when a space loses channels.
    public enum Role: Sendable, Hashable {
        /// A producer's weight or bias: slice `axis`.
        case producer
        /// A per-channel constant (BN parameter, bias, scale): slice `axis`.
        case constant
        /// A consumer's weight: slice `axis` in blocks of `block` entries per channel.
        case consumer
        /// A depthwise Conv's weight (axis 0) or bias; the node's `group` becomes the kept count.
        case depthwise
    }

    /// One initializer input of one node to slice.
    public struct Slice: Sendable, Hashable {
        public var node: Int
        public var input: Int
        public var axis: Int
        public var block: Int
        public var role: Role
    }

    /// A prunable (or not) channel space: a union of producers that drop the same channels.
    public struct Space: Sendable {
        /// Producer node indices, in graph order.
        public var producers: [Int]
        /// Producer weight names (input 1), in graph order.
        public var weights: [String]
        /// Channels of the space.
        public var channels: Int
        /// The inputs to slice, by (node, input), in graph order.
        public var slices: [Slice]
        /// Nodes whose output carries the space (to clear value_info).
        public var values: [String]
        /// Why the space cannot be pruned, or nil.
        public var reason: String?
    }

    public var spaces: [Space]

    static let passThrough: Set<String> = ["Relu", "LeakyRelu", "Sigmoid", "Tanh", "Erf", "Dropout", "Identity", "MaxPool",
                                           "AveragePool", "Elu", "Selu", "HardSigmoid", "HardSwish", "Softplus", "Gelu", "Neg", "Abs"]
    static let binary: Set<String> = ["Add", "Sub", "Mul", "Div"]

    /// Analyses `e`'s graph. `shapes` holds the value shapes of one interpreter run (for Flatten block sizes).
    public init(_ e: GraphEditor, shapes: [String: [Int]]) {
        let g = e.graph
        let graphOutputs = Set(g.output.map(\.name))
        var consumersOf: [String: [Int]] = [:]
        for (i, n) in g.node.enumerated() { for x in Set(n.input) where !x.isEmpty { consumersOf[x, default: []].append(i) } }
        func attr(_ n: Onnx_NodeProto, _ name: String, _ d: Int) -> Int {
            n.attribute.first { $0.name == name }.map { Int($0.i) } ?? d
        }
        func isConst(_ x: String) -> Bool { e.isInitializer(x) }
        func label(_ i: Int) -> String { g.node[i].name.isEmpty ? "\(g.node[i].opType) #\(i)" : g.node[i].name }

        struct Trace {
            var slices: [Slice] = []
            var values: [String] = []
            var reason: String?
            /// Join nodes reached: (node, input index).
            var joins: [(Int, Int)] = []
        }
        var raw: [(producer: Int, weight: String, channels: Int, trace: Trace)] = []
        for (p, n) in g.node.enumerated() where n.domain.isEmpty && n.output.count >= 1 && n.input.count >= 2 && isConst(n.input[1]) {
            guard let w = e.shape(n.input[1]) else { continue }
            var t = Trace()
            let channels: Int
            let axis: Int  // channel axis of the output, counted from the end (negative)
            switch n.opType {
            case "Conv" where attr(n, "group", 1) == 1 && w.count >= 3:
                channels = w[0]; axis = -(w.count - 1)
                t.slices.append(Slice(node: p, input: 1, axis: 0, block: 1, role: .producer))
                if n.input.count > 2, !n.input[2].isEmpty { t.slices.append(Slice(node: p, input: 2, axis: 0, block: 1, role: .producer)) }
            case "Gemm" where w.count == 2 && attr(n, "transA", 0) == 0:
                let transB = attr(n, "transB", 0) != 0
                channels = transB ? w[0] : w[1]; axis = -1
                t.slices.append(Slice(node: p, input: 1, axis: transB ? 0 : 1, block: 1, role: .producer))
                if n.input.count > 2, !n.input[2].isEmpty {
                    if let c = e.shape(n.input[2]), c.reduce(1, *) == channels, c.last == channels {
                        t.slices.append(Slice(node: p, input: 2, axis: c.count - 1, block: 1, role: .producer))
                    } else if (e.shape(n.input[2])?.reduce(1, *) ?? 0) != 1 {
                        t.reason = "the bias of \(label(p)) is not per output column"
                    }
                }
            case "MatMul" where w.count == 2:
                channels = w[1]; axis = -1
                t.slices.append(Slice(node: p, input: 1, axis: 1, block: 1, role: .producer))
            default:
                continue
            }
            // Follow the values carrying the channels: (value, axis from the end, block).
            var stack: [(String, Int)] = [(n.output[0], axis)]
            var seen = Set<String>()
            while let top = stack.popLast(), t.reason == nil {
                let (v, ax) = top
                guard seen.insert(v).inserted else { continue }
                t.values.append(v)
                if graphOutputs.contains(v) { t.reason = "reaches the graph output \(v)"; break }
                for c in consumersOf[v] ?? [] {
                    let m = g.node[c]
                    let inputs = m.input.indices.filter { m.input[$0] == v }
                    let out = m.output.first ?? ""
                    if !m.domain.isEmpty { t.reason = "reaches \(m.opType) \(label(c)) (domain \(m.domain))"; break }
                    switch m.opType {
                    case _ where Self.passThrough.contains(m.opType):
                        if m.opType == "Dropout", m.output.count > 1, !m.output[1].isEmpty { t.reason = "reaches a Dropout mask"; break }
                        stack.append((out, ax))
                    case "Clip":
                        if m.input.dropFirst().contains(where: { !$0.isEmpty && (e.shape($0)?.reduce(1, *) ?? 0) != 1 }) {
                            t.reason = "reaches Clip \(label(c)) with non-scalar bounds"
                        } else { stack.append((out, ax)) }
                    case "BatchNormalization":
                        guard inputs == [0], ax > -1000, shapes[v].map({ $0.count + ax == 1 }) ?? false,
                              m.input.count == 5, m.input[1...].allSatisfy(isConst) else {
                            t.reason = "reaches BatchNormalization \(label(c)) on another axis"; break
                        }
                        for k in 1...4 { t.slices.append(Slice(node: c, input: k, axis: 0, block: 1, role: .constant)) }
                        stack.append((out, ax))
                    case "GlobalAveragePool":
                        stack.append((out, ax))
                    case "Flatten":
                        guard let s = shapes[v], attr(m, "axis", 1) == 1, s.count + ax == 1 else {
                            t.reason = "reaches Flatten \(label(c)) that does not keep channels first"; break
                        }
                        let block = s.dropFirst(2).reduce(1, *)
                        stack.append((out, -1000 - block))  // marker: last axis, `block` entries per channel
                    case _ where Self.binary.contains(m.opType):
                        guard ax > -1000 else { t.reason = "reaches \(m.opType) \(label(c)) after a Flatten"; break }
                        let others = m.input.indices.filter { m.input[$0] != v }
                        if let o = others.first, isConst(m.input[o]) {
                            let s = e.shape(m.input[o]) ?? []
                            let count = s.reduce(1, *)
                            if count == 1 {
                            } else if s.count >= -ax, s[s.count + ax] == channels, count == channels {
                                t.slices.append(Slice(node: c, input: o, axis: s.count + ax, block: 1, role: .constant))
                            } else {
                                t.reason = "reaches \(m.opType) \(label(c)) with a constant that is not per channel (shape \(s))"; break
                            }
                        } else {
                            for i in inputs { t.joins.append((c, i)) }
                        }
                        stack.append((out, ax))
                    case "Conv":
                        guard inputs == [0], m.input.count >= 2, isConst(m.input[1]), let cw = e.shape(m.input[1]), ax > -1000 else {
                            t.reason = "reaches Conv \(label(c)) other than as its data input"; break
                        }
                        let group = attr(m, "group", 1)
                        if group == 1, cw.count > 1, cw[1] == channels {
                            t.slices.append(Slice(node: c, input: 1, axis: 1, block: 1, role: .consumer))
                        } else if group == channels, cw[0] == channels, cw.count > 1, cw[1] == 1 {
                            t.slices.append(Slice(node: c, input: 1, axis: 0, block: 1, role: .depthwise))
                            if m.input.count > 2, !m.input[2].isEmpty { t.slices.append(Slice(node: c, input: 2, axis: 0, block: 1, role: .depthwise)) }
                            stack.append((out, ax))
                        } else {
                            t.reason = "reaches grouped Conv \(label(c)) (group \(group))"
                        }
                    case "Gemm", "MatMul":
                        let transB = m.opType == "Gemm" && attr(m, "transB", 0) != 0
                        let block = ax <= -1000 ? -1000 - ax : 1
                        guard inputs == [0], m.input.count >= 2, isConst(m.input[1]), let bw = e.shape(m.input[1]), bw.count == 2,
                              ax == -1 || ax <= -1000, attr(m, "transA", 0) == 0, bw[transB ? 1 : 0] == channels * block else {
                            t.reason = "reaches \(m.opType) \(label(c)) other than as the data input of a constant weight"; break
                        }
                        t.slices.append(Slice(node: c, input: 1, axis: transB ? 1 : 0, block: block, role: .consumer))
                    default:
                        t.reason = "reaches \(m.opType) \(label(c))"
                    }
                    if t.reason != nil { break }
                }
            }
            raw.append((p, n.input[1], channels, t))
        }

        // Union the spaces meeting at a join; a join input no space reaches makes its spaces unprunable.
        var parent = Array(raw.indices)
        func find(_ x: Int) -> Int { var x = x; while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }; return x }
        var reachers: [Int: [Int: [Int]]] = [:]  // join node → input → spaces
        for (s, r) in raw.enumerated() { for (node, input) in r.trace.joins { reachers[node, default: [:]][input, default: []].append(s) } }
        var joinReason: [Int: String] = [:]
        for node in reachers.keys.sorted() {
            let byInput = reachers[node]!
            let all = byInput.values.flatMap { $0 }.sorted()
            for s in all.dropFirst() { let a = find(all[0]), b = find(s); if a != b { parent[max(a, b)] = min(a, b) } }
            let m = g.node[node]
            let unreached = m.input.indices.filter { !m.input[$0].isEmpty && !isConst(m.input[$0]) && byInput[$0] == nil }
            if !unreached.isEmpty { joinReason[all[0]] = "is joined by \(m.opType) \(label(node)) with \(m.input[unreached[0]]), which no channel space produces" }
        }
        var groups: [Int: [Int]] = [:]
        for s in raw.indices { groups[find(s), default: []].append(s) }
        var out: [Space] = []
        for root in groups.keys.sorted() {
            let members = groups[root]!.sorted()
            var reason: String?
            for s in members {
                if reason == nil { reason = raw[s].trace.reason }
                if reason == nil { reason = joinReason[s] }
            }
            let channels = raw[members[0]].channels
            if reason == nil, members.contains(where: { raw[$0].channels != channels }) { reason = "joins producers of different channel counts" }
            var seen = Set<[Int]>()
            var slices: [Slice] = []
            var values: [String] = []
            for s in members {
                for sl in raw[s].trace.slices where seen.insert([sl.node, sl.input]).inserted { slices.append(sl) }
                values += raw[s].trace.values
            }
            slices.sort { ($0.node, $0.input) < ($1.node, $1.input) }
            out.append(Space(producers: members.map { raw[$0].producer }, weights: members.map { raw[$0].weight }, channels: channels,
                             slices: slices, values: values, reason: reason))
        }
        spaces = out.sorted { $0.producers[0] < $1.producers[0] }
    }
}
