import PareBasics
import PareFormats
import ParePasses
import PareRecipe

extension Planner {
    /// Plan-time checks of the catalog passes on one selected float tensor: the tensor fits what the pass asks
    /// (ranks, table sizes, channel counts, group sizes), and the estimated stored size after the pass.
    static func checkCatalog(_ spec: PassSpec, tensor t: ModelHeader.Tensor, header: ModelHeader, recipe: Recipe,
                             encodedBy: inout [String: PassSpec], finalBytes: inout [String: Int],
                             once: (String, Diagnostic) -> Void) {
        let (rows, cols) = header.matrix(of: t)
        let n = t.shape.elementCount ?? 0
        func overlap() {
            if let prev = encodedBy[t.name] {
                once("overlap:\(spec.index):\(prev.index)", .error(
                    "tensor '\(t.name)' is selected by both '\(prev.id)' and '\(spec.id)'; a weight is encoded once — add an `exclude:` to one of them",
                    at: spec.location, notes: [.note("'\(prev.id)' is here", at: prev.location)]))
            }
            encodedBy[t.name] = spec
        }
        switch spec.config {
        case .palettize(let p):
            let perTable = p.groupChannels == 0 ? n : min(rows, p.groupChannels) * cols
            if p.clusters > perTable {
                once("lut:\(spec.index):\(t.name)", .error(
                    "\(p.bits) bits make \(p.clusters) table entries, more than the \(perTable) weights of each table of tensor '\(t.name)' (shape \(t.shape)); use fewer bits, a larger group_channels, or exclude it",
                    at: spec.location(of: "bits", "group_channels")))
            }
            overlap()
            let tables = p.groupChannels == 0 ? 1 : (rows + p.groupChannels - 1) / p.groupChannels
            finalBytes[t.name] = (n * p.bits + 7) / 8 + tables * p.clusters * 4
        case .gptq(let g):
            if g.weights.granularity == .perGroup, cols % g.weights.group != 0 {
                once("group:\(spec.index):\(t.name)", .error(
                    "group \(g.weights.group) does not divide the row length \(cols) of tensor '\(t.name)' (shape \(t.shape)); choose a group that divides it or exclude the tensor",
                    at: spec.location(of: "weights.group", "weights")))
            }
            overlap()
            finalBytes[t.name] = QuantizePass.storedBytes(rows: rows, cols: cols, spec: g.weights)
        case .mixedPrecision(let m):
            if m.candidates.contains(4), cols % m.group != 0 {
                once("group:\(spec.index):\(t.name)", .error(
                    "the 4-bit candidate's group \(m.group) does not divide the row length \(cols) of tensor '\(t.name)' (shape \(t.shape)); set 'group' to a divisor or exclude the tensor",
                    at: spec.location(of: "group", "candidates")))
            }
            overlap()
            finalBytes[t.name] = n * (m.candidates.first ?? 8) / 8
        case .lowrank(let l):
            // Only the weights the pass factorizes: Conv / Gemm / MatMul weights (not embedding tables).
            guard header.layerWeights.contains(t.name) else { return }
            let isConv = t.shape.rank == 4
            if isConv && !l.conv { return }
            let dims = isConv ? [t.shape.dims[0], t.shape.dims[1]] : [rows, cols]
            if case .rank(let r) = l.rule, r > dims.min()! {
                let what = isConv ? "the \(dims[0]) output and \(dims[1]) input channels" : "the \(rows) × \(cols) matrix"
                once("rank:\(spec.index):\(t.name)", .error(
                    "rank \(r) is larger than \(what) of tensor '\(t.name)' (shape \(t.shape)) allows (at most \(dims.min()!)); use a smaller rank, a ratio or an energy threshold, or exclude the tensor",
                    at: spec.location(of: "rank")))
            }
        case .prune(let p) where p.structure == .channels:
            // Layers whose output is a graph output keep their channels (the pass never prunes them).
            guard header.layerWeights.contains(t.name), !header.outputLayerWeights.contains(t.name) else { return }
            let channels = rows
            let removed = Int((p.sparsity ?? 0) * Double(channels) + 0.5)
            if channels > 0, removed >= channels {
                once("allch:\(spec.index):\(t.name)", .error(
                    "sparsity \(p.sparsity ?? 0) would remove all \(channels) output channels of tensor '\(t.name)' (shape \(t.shape)); use a smaller sparsity or exclude the tensor",
                    at: spec.location(of: "sparsity")))
            }
        default:
            break
        }
    }

    /// Passes that need an ONNX graph, on a model without one.
    static func checkGraphNeeds(recipe: Recipe, header: ModelHeader, bag: inout DiagnosticBag) {
        guard header.format != .onnx else { return }
        for spec in recipe.passes where spec.config.needsGraph {
            bag.error("\(spec.label) needs the model's graph, but \(recipe.model.givenPath) is a \(header.format.rawValue) model (weights only); "
                      + "export the model to ONNX or remove the pass", at: spec.location)
        }
        for spec in recipe.passes {
            if case .palettize = spec.config {
                bag.error("\(spec.label) writes look-up-table weights as ONNX Gather nodes, but \(recipe.model.givenPath) is a \(header.format.rawValue) model; "
                          + "export the model to ONNX or remove the pass", at: spec.location)
            }
        }
    }
}
