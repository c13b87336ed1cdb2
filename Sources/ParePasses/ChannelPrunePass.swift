import Foundation
import PareBasics
import PareFormats
import PareONNXProto
import PareRecipe
import PareRuntime
import PareTensor

/// `prune` with `structure: channels`: removes whole output channels (filters) and rewrites the graph so the
/// consumers shrink too; the model gets smaller and faster, not zero-filled.
///
/// 1. `ChannelSpaces` finds the channel spaces (producers joined by residual adds, the per-channel constants and
///    the consumers they reach). Spaces that are not prunable are left alone and listed in the report's notes.
/// 2. A space is pruned only when every producer weight is selected by `selection`. Its kept count is
///    k = C − round(s·C) (half away from zero), rounded up to a multiple of `round_to`, at most C; k = 0 is an error.
/// 3. Channel importance, summed over the space's producers: `l1` Σ|w| of the channel's weights, `l2` √Σw², or
///    `activation`: mean |y| of the producer's output channel over the calibration samples. The k most important
///    channels are kept (ties: the lower index first), in their original order.
/// 4. Producer weights and biases, BN parameters and per-channel constants are sliced on the channel axis;
///    consumer weights on their input axis (after a Flatten of C×H×W: H·W entries per channel); a depthwise Conv
///    is sliced on both and its `group` becomes k. Value infos of the changed values are dropped.
public struct ChannelPrunePass: ModelPass {
    public static let name = "prune"
    public static let version = 1
    public let id: String
    public let config: PruneConfig

    public init(id: String, config: PruneConfig) {
        self.id = id
        self.config = config
    }

    /// Channels kept of `channels` at `sparsity`, rounded up to a multiple of `roundTo` (at most `channels`).
    public static func keptCount(channels: Int, sparsity: Double, roundTo: Int) -> Int {
        let removed = Int((sparsity * Double(channels)).rounded(.toNearestOrAwayFromZero))
        let kept = channels - removed
        guard kept > 0 else { return 0 }
        let r = max(1, roundTo)
        return min(channels, (kept + r - 1) / r * r)
    }

    /// The indices of the `kept` most important channels, ascending (ties: the lower index first).
    public static func keep(importance: [Double], kept: Int) -> [Int] {
        let order = importance.indices.sorted { importance[$0] != importance[$1] ? importance[$0] > importance[$1] : $0 < $1 }
        return order.prefix(kept).sorted()
    }

    public func run(_ model: ModelArtifact, context: ModelPassContext) throws -> ModelPassOutput {
        let before = try ModelCost.measure(model, context: context)
        let editor = try GraphEditor(model, store: context.store)
        // Value shapes (and, for `activation`, per-channel mean |y| of every producer output).
        let interpreter = try context.open(model)
        var shapes: [String: [Int]] = [:]
        let feeds = context.samples.isEmpty ? [ModelCost.synthetic(interpreter)] : context.samples
        _ = try interpreter.run(feeds[0]) { name, t in shapes[name] = t.shape }
        let analysis = ChannelSpaces(editor, shapes: shapes)
        var activation: [String: [Double]] = [:]
        if config.importance == .activation {
            guard !context.samples.isEmpty else {
                throw PassError(tensor: "(model)", message: "needs calibration samples for importance: activation")
            }
            var wanted: [String: Int] = [:]  // producer output → channel axis
            for s in analysis.spaces where s.reason == nil {
                for p in s.producers {
                    let n = editor.graph.node[p]
                    wanted[n.output[0]] = n.opType == "Conv" ? 1 : -1
                }
            }
            var counts: [String: Int] = [:]
            for sample in context.samples {
                _ = try interpreter.run(sample) { name, t in
                    guard let ax = wanted[name], !t.shape.isEmpty else { return }
                    let axis = ax < 0 ? t.shape.count - 1 : ax
                    let c = t.shape[axis], inner = t.shape[(axis + 1)...].reduce(1, *)
                    let x = t.asFloats
                    var acc = activation[name] ?? [Double](repeating: 0, count: c)
                    for i in x.indices { acc[(i / inner) % c] += Double(abs(x[i])) }
                    activation[name] = acc
                    counts[name, default: 0] += x.count / c
                }
            }
            for (k, v) in activation { let n = Double(max(1, counts[k] ?? 1)); activation[k] = v.map { $0 / n } }
        }

        var rows: [LayerChange] = []
        var notes: [String] = []
        var plans: [(ChannelSpaces.Space, [Int])] = []
        let tensorsByName = Dictionary(model.tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for s in analysis.spaces {
            let what = "channel space of \(s.weights.joined(separator: " + ")) (\(s.channels) channels)"
            if let r = s.reason { notes.append("\(what) not pruned: \(r)"); continue }
            let unselected = s.weights.filter { w in
                guard let t = tensorsByName[w] else { return true }
                return !t.isSelected(by: config.selection)
            }
            if !unselected.isEmpty { notes.append("\(what) not pruned: \(unselected.joined(separator: ", ")) not selected"); continue }
            let kept = Self.keptCount(channels: s.channels, sparsity: config.sparsity ?? 0, roundTo: config.roundTo)
            guard kept > 0 else {
                throw PassError(tensor: s.weights[0], message: "would lose all \(s.channels) channels at sparsity \(config.sparsity ?? 0); use a smaller sparsity or exclude it")
            }
            if kept == s.channels { notes.append("\(what) keeps all channels"); continue }
            var importance = [Double](repeating: 0, count: s.channels)
            for p in s.producers {
                let n = editor.graph.node[p]
                if config.importance == .activation {
                    let a = activation[n.output[0]] ?? []
                    for c in 0..<min(a.count, s.channels) { importance[c] += a[c] }
                } else {
                    let w = try editor.floats(n.input[1])
                    let shape = editor.shape(n.input[1]) ?? [w.count]
                    let axis = s.slices.first { $0.node == p && $0.input == 1 }?.axis ?? 0
                    let inner = shape[(axis + 1)...].reduce(1, *), c = shape[axis]
                    var acc = [Double](repeating: 0, count: c)
                    for i in w.indices {
                        let v = Double(w[i])
                        acc[(i / inner) % c] += config.importance == .l2 ? v * v : abs(v)
                    }
                    for k in 0..<min(c, s.channels) { importance[k] += config.importance == .l2 ? acc[k].squareRoot() : acc[k] }
                }
            }
            plans.append((s, Self.keep(importance: importance, kept: kept)))
        }

        // Rewrite, space by space (a node's weight may be sliced by two spaces: once per axis).
        var touched: [(ChannelSpaces.Space, [Int], [String: Int])] = []
        for (s, keep) in plans {
            var paramsBefore: [String: Int] = [:]
            for sl in s.slices {
                let name = editor.graph.node[sl.node].input[sl.input]
                paramsBefore[name] = editor.shape(name)?.reduce(1, *) ?? 0
            }
            for sl in s.slices { try slice(editor, sl, keep: keep) }
            for sl in s.slices where sl.role == .depthwise && sl.input == 1 {
                var g = editor.graph
                if let a = g.node[sl.node].attribute.firstIndex(where: { $0.name == "group" }) { g.node[sl.node].attribute[a].i = Int64(keep.count) }
                editor.graph = g
            }
            let changed = Set(s.values)
            var g = editor.graph
            g.valueInfo = g.valueInfo.filter { !changed.contains($0.name) }
            editor.graph = g
            touched.append((s, keep, paramsBefore))
        }
        let out = try editor.finish()
        let after = try ModelCost.measure(out, context: context)
        let outEditor = try GraphEditor(out, store: context.store)
        for (s, keep, paramsBefore) in touched {
            let nodes = Array(Set(s.slices.map(\.node))).sorted()
            let outputs = nodes.map { editor.graph.node[$0].output[0] }
            let pBefore = paramsBefore.values.reduce(0, +)
            let dedupAfter = Set(s.slices.map { editor.graph.node[$0.node].input[$0.input] })
                .reduce(0) { $0 + (outEditor.shape($1)?.reduce(1, *) ?? 0) }
            rows.append(LayerChange(layer: s.weights.joined(separator: " + "),
                                    action: "kept \(keep.count) of \(s.channels) channels (\(config.importance.rawValue))",
                                    parametersBefore: pBefore, parametersAfter: dedupAfter,
                                    flopsBefore: outputs.reduce(0) { $0 + (before.nodeFLOPs[$1] ?? 0) },
                                    flopsAfter: outputs.reduce(0) { $0 + (after.nodeFLOPs[$1] ?? 0) }))
        }
        let report = PassReport(pass: Self.name, id: id, layers: rows, parametersBefore: before.parameters, parametersAfter: after.parameters,
                                flopsBefore: before.flops, flopsAfter: after.flops, notes: notes)
        return ModelPassOutput(artifact: out, report: report)
    }

    /// Slices one initializer input of one node on `sl.axis`, keeping channels `keep` (blocks of `sl.block`). An
    /// initializer other nodes read too is copied under a new name for this node.
    func slice(_ e: GraphEditor, _ sl: ChannelSpaces.Slice, keep: [Int]) throws {
        let name = e.graph.node[sl.node].input[sl.input]
        guard let shape = e.shape(name) else { throw PassError(tensor: name, message: "is not a constant of the graph") }
        let values = try e.floats(name)
        let outer = shape[..<sl.axis].reduce(1, *), dim = shape[sl.axis], inner = shape[(sl.axis + 1)...].reduce(1, *)
        var indices: [Int] = []
        indices.reserveCapacity(keep.count * sl.block)
        for c in keep { for j in 0..<sl.block { indices.append(c * sl.block + j) } }
        var outValues: [Float] = []
        outValues.reserveCapacity(outer * indices.count * inner)
        for o in 0..<outer {
            for i in indices {
                let base = (o * dim + i) * inner
                outValues.append(contentsOf: values[base..<(base + inner)])
            }
        }
        var newShape = shape
        newShape[sl.axis] = indices.count
        let shared = e.consumers(of: name).contains { $0 != sl.node } || e.graph.node[sl.node].input.filter({ $0 == name }).count > 1
        let target = shared ? e.uniqueName(name + ".pruned") : name
        try e.setFloats(target, outValues, shape: newShape)
        e.noteChanged(target, by: id)
        if shared {
            var g = e.graph
            g.node[sl.node].input[sl.input] = target
            e.graph = g
        }
    }
}
