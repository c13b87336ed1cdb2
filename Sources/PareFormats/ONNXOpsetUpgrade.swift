import PareONNXProto

/// Raises a model's ai.onnx opset, rewriting every node whose operator changed between the two versions so
/// that the model computes the same thing (checked in ONNX Runtime by the tests).
///
/// For each standard-domain node the upgrade walks its operator's definitions between the source and the
/// target opset (``ONNXOpset/versions(of:)``) and applies, for every new definition crossed, the rewrite that
/// keeps the semantics (attributes that became inputs, changed defaults, renamed modes, removed operators);
/// changes that only extend types or add attributes whose default keeps the old behaviour need nothing. A
/// change it cannot convert safely is an error naming the node. Subgraphs (If / Loop / Scan bodies) are
/// upgraded too; other domains (com.microsoft, ai.onnx.ml) are left alone. The IR version is raised to the
/// lowest one that allows the target opset when it is lower.
public enum ONNXOpsetUpgrade {
    /// The upgraded model and one line per kind of rewrite done (with node counts).
    public struct Result: Sendable {
        public var model: Onnx_ModelProto
        public var report: [String]
    }

    /// Upgrades `model` to ai.onnx opset `target`.
    /// - Parameter file: how to name the model in errors.
    /// - Throws: `FormatError` when the model imports no ai.onnx opset, when `target` is lower than the model's
    ///   opset, outside opsets 7…28, or when a node (named in the message) uses an operator change that cannot
    ///   be converted without changing the results.
    public static func upgrade(_ model: Onnx_ModelProto, to target: Int, file: String = "model") throws -> Result {
        func fail(_ m: String) -> FormatError { FormatError(file: file, message: m) }
        guard let source = ONNXEncodeProto.defaultOpset(model) else {
            throw fail("the model imports no ai.onnx opset; add an opset_import for the default domain")
        }
        guard target >= source else {
            throw fail("cannot convert opset \(source) down to \(target); pare only upgrades opsets")
        }
        guard target <= ONNXOpset.newest else {
            throw fail("target opset \(target) is newer than the newest pare knows (\(ONNXOpset.newest))")
        }
        if target == source { return Result(model: model, report: []) }
        guard source >= ONNXOpset.oldestUpgradable else {
            throw fail("the model uses opset \(source); pare upgrades from opset \(ONNXOpset.oldestUpgradable) on "
                       + "(convert it first with onnx.version_converter.convert_version)")
        }
        for f in model.functions {
            if let o = f.opsetImport.first(where: { $0.domain.isEmpty || $0.domain == "ai.onnx" }), o.version < target {
                throw fail("model-local function '\(f.name)' imports ai.onnx opset \(o.version); pare does not upgrade "
                           + "function bodies — inline the function or re-export the model at opset \(target)")
            }
        }
        var run = Run(source: source, target: target, file: file, model: model)
        var m = model
        m.graph = try run.upgrade(model.graph, outer: [:])
        ONNXEncodeProto.setOpset(&m, domain: "", version: target)
        let ir = ONNXOpset.minimumIRVersion(forOpset: target)
        var report = ["ai.onnx opset \(source) → \(target)"]
        if m.irVersion < ir {
            report[0] += " (IR version \(m.irVersion) → \(ir))"
            m.irVersion = Int64(ir)
        }
        report += run.changes.keys.sorted().map { "\($0) (\(run.changes[$0]!) node\(run.changes[$0]! == 1 ? "" : "s"))" }
        return Result(model: m, report: report)
    }

    /// The state of one upgrade: names in use, values read anywhere, and the rewrites done.
    struct Run {
        let source: Int
        let target: Int
        let file: String
        var names: ONNXEncodeNames
        /// Every value some node reads (at any depth) or a graph returns.
        let used: Set<String>
        /// Rewrite description → how many nodes.
        var changes: [String: Int] = [:]

        init(source: Int, target: Int, file: String, model: Onnx_ModelProto) {
            self.source = source
            self.target = target
            self.file = file
            self.names = ONNXEncodeNames(model)
            var used = Set<String>()
            func collect(_ g: Onnx_GraphProto) {
                for o in g.output { used.insert(o.name) }
                for n in g.node {
                    used.formUnion(n.input)
                    for a in n.attribute {
                        if a.hasG { collect(a.g) }
                        for sg in a.graphs { collect(sg) }
                    }
                }
            }
            collect(model.graph)
            self.used = used
        }

        mutating func upgrade(_ graph: Onnx_GraphProto, outer: [String: Facts]) throws -> Onnx_GraphProto {
            let facts = ONNXOpsetUpgrade.inferFacts(graph, outer: outer)
            var nodes: [Onnx_NodeProto] = []
            nodes.reserveCapacity(graph.node.count)
            for (i, original) in graph.node.enumerated() {
                var n = original
                for k in n.attribute.indices {
                    if n.attribute[k].hasG { n.attribute[k].g = try upgrade(n.attribute[k].g, outer: facts) }
                    for j in n.attribute[k].graphs.indices {
                        n.attribute[k].graphs[j] = try upgrade(n.attribute[k].graphs[j], outer: facts)
                    }
                }
                guard ONNXEncodeProto.isStandard(n) else {
                    nodes.append(n)
                    continue
                }
                var step = Step(node: n, index: i, facts: facts)
                try adapt(&step)
                nodes += step.before + [step.node] + step.after
            }
            var g = graph
            g.node = nodes
            return g
        }

        /// Walks the node's operator definitions from the source to the target opset, applying each rewrite.
        mutating func adapt(_ s: inout Step) throws {
            var op = s.node.opType
            guard ONNXOpset.versions(of: op) != nil else {
                throw error(s, "'\(op)' is not an operator of the ai.onnx domain (opsets 1–\(ONNXOpset.newest))")
            }
            guard var v = ONNXOpset.definition(of: op, at: source) else {
                throw error(s, "'\(op)' does not exist at opset \(source) (first defined in opset "
                            + "\(ONNXOpset.versions(of: op)!.first!)); the model is invalid")
            }
            while let next = ONNXOpset.versions(of: op)?.first(where: { $0 > v && $0 <= target }) {
                try apply(&s, op: op, to: next)
                if s.node.opType != op {
                    op = s.node.opType
                    v = ONNXOpset.definition(of: op, at: next) ?? next
                } else {
                    v = next
                }
            }
        }

        mutating func note(_ description: String) { changes[description, default: 0] += 1 }

        func error(_ s: Step, _ message: String) -> FormatError {
            FormatError(file: file, message: "\(ONNXEncodeProto.label(s.node, index: s.index)): \(message)")
        }

        /// Adds a Constant node holding `tensor` before the node being rewritten; returns its output name.
        mutating func constant(_ s: inout Step, _ tensor: Onnx_TensorProto, suffix: String) -> String {
            let base = s.base + "_" + suffix
            let out = names.fresh(base)
            s.before.append(ONNXEncodeProto.constantNode(tensor, output: out, name: names.fresh(base + "_Constant")))
            return out
        }

        /// Whether any node or graph output reads `name`.
        func isUsed(_ name: String) -> Bool { !name.isEmpty && used.contains(name) }
    }

    /// One node being rewritten, with the nodes inserted before and after it.
    struct Step {
        var node: Onnx_NodeProto
        let index: Int
        let facts: [String: Facts]
        var before: [Onnx_NodeProto] = []
        var after: [Onnx_NodeProto] = []
        /// Tracks that a Resize came from an Upsample (whose scales are always ≥ 1).
        var fromUpsample = false

        init(node: Onnx_NodeProto, index: Int, facts: [String: Facts]) {
            self.node = node
            self.index = index
            self.facts = facts
        }

        /// A readable prefix for new names: the node's name, else its first output.
        var base: String { node.hasName && !node.name.isEmpty ? node.name : (node.output.first ?? node.opType) }

        func facts(ofInput i: Int) -> Facts? {
            guard i < node.input.count, !node.input[i].isEmpty else { return nil }
            return facts[node.input[i]]
        }
    }
}
