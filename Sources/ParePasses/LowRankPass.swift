import Foundation
import PareBasics
import PareFormats
import PareKernels
import PareONNXProto
import PareRecipe
import PareRuntime

/// `lowrank`: factorizes selected weights into thinner products where that makes the layer smaller and cheaper.
///
/// - MatMul with a constant 2-D weight W [K, N] (input 1), and Gemm (transA 0) with a constant B (transB handled,
///   alpha, beta and C kept): with the truncated SVD W ≈ A·B (`LowRank.factors`), the node becomes
///   MatMul(X, A) → t and MatMul(t, B) (or Gemm(t, B, C) with the original alpha/beta, transB 0); the second node
///   keeps the original output name.
/// - Conv with group 1 and a constant kernel [Cout, Cin, k…] (when `conv`): Tucker-2 by HOSVD (`LowRank`):
///   1×1 conv Cin→r_in, the k×k conv r_in→r_out with the original attributes, 1×1 conv r_out→Cout with the bias;
///   the last keeps the output name.
/// The rank rule: `.rank(r)` → r (capped at min(rows, cols) of the matrix or unfolding), `.ratio(q)` →
/// ceil(q·min(rows, cols)), `.energy(e)` → the smallest r keeping e of Σσ² (`LowRank.energyRank`), then rounded up
/// to a multiple of `round_to` (capped at min(rows, cols)); for a Conv the
/// rule is applied to each of the two unfoldings. A layer whose parameters or FLOPs would not drop is kept as it
/// is, with a report row saying why. Report rows: ranks, weight elements and FLOPs per sample before/after,
/// energy kept (1 − relative squared Frobenius error of the weight).
public struct LowRankPass: ModelPass {
    public static let name = "lowrank"
    public static let version = 1
    public let id: String
    public let config: LowRankConfig

    public init(id: String, config: LowRankConfig) {
        self.id = id
        self.config = config
    }

    /// Kernel time and work, accumulated over the layers.
    final class Meter {
        var seconds = 0.0
        var flops = 0.0
        func time<T>(_ work: Double, _ body: () throws -> T) rethrows -> T {
            let start = DispatchTime.now().uptimeNanoseconds
            defer {
                seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                flops += work
            }
            return try body()
        }
    }

    /// One candidate layer's weight, read from the graph: the input of its factorization.
    enum Work: Sendable {
        case matrix(MatrixWork)
        case conv(ConvWork)
    }

    /// A candidate layer read from the graph: kept without any computation, or work to do.
    enum Prepared {
        case kept(LayerChange)
        case work(Work)
    }

    /// One layer's factorization, or why it is kept, computed without touching the graph.
    enum Outcome: Sendable {
        case kept(LayerChange)
        case matrix(MatrixWork, LayerChange, a: [Float], b: [Float], rank: Int)
        case conv(ConvWork, LayerChange, u1: [Float], core: [Float], u0: [Float], rIn: Int, rOut: Int)
    }

    public func run(_ model: ModelArtifact, context: ModelPassContext) throws -> ModelPassOutput {
        let before = try ModelCost.measure(model, context: context)
        let editor = try GraphEditor(model, store: context.store)
        // Every value's shape, from one run.
        var shapes: [String: [Int]] = [:]
        let interpreter = try context.open(model)
        _ = try interpreter.run(context.samples.first ?? ModelCost.synthetic(interpreter)) { name, t in shapes[name] = t.shape }
        let meter = Meter()
        var rows: [LayerChange] = []
        // Candidates by output name (node indices move as nodes are inserted).
        let outputs = editor.graph.node.compactMap { n -> String? in
            guard ["MatMul", "Gemm", "Conv"].contains(n.opType), n.domain.isEmpty || n.domain == "ai.onnx",
                  n.input.count >= 2, !n.output.isEmpty, editor.isInitializer(n.input[1]),
                  let r = editor.record(n.input[1]), r.isSelected(by: config.selection) else { return nil }
            if n.opType == "Conv" && !config.conv { return nil }
            return n.output[0]
        }
        // Windows of `threads` layers: their weights are read, factorized in parallel (one single-threaded LAPACK
        // call per SVD, so the result does not depend on the thread count), then written in graph order. At most
        // `threads` layers' working sets are held at a time.
        let window = max(1, context.threads)
        var start = 0
        while start < outputs.count {
            let ys = Array(outputs[start..<min(start + window, outputs.count)])
            start += ys.count
            // Per candidate, in graph order: nothing, a row without computation, or a job.
            var slots: [Prepared?] = []
            for y in ys {
                guard let i = editor.producer(of: y) else { slots.append(nil); continue }
                slots.append(editor.graph.node[i].opType == "Conv" ? try convWork(editor, node: i) : try matrixWork(editor, node: i))
            }
            let jobs = slots.compactMap { slot -> Work? in if case .work(let w) = slot { return w } else { return nil } }
            let work = jobs.reduce(0.0) { $0 + Self.flops(of: $1) }
            var outcomes: [Outcome] = try meter.time(work) {
                try ParallelMap.run(count: jobs.count, workers: window) { try factorize(jobs[$0], shapes: shapes) }
            }
            outcomes.reverse()
            for slot in slots {
                switch slot {
                case .none: continue
                case .kept(let change): rows.append(change)
                case .work:
                    switch outcomes.removeLast() {
                    case .kept(let change): rows.append(change)
                    case .matrix(let w, let change, let a, let b, let r):
                        try applyMatrix(editor, w, a: a, b: b, rank: r)
                        rows.append(change)
                    case .conv(let w, let change, let u1, let core, let u0, let rIn, let rOut):
                        try applyConv(editor, w, u1: u1, core: core, u0: u0, rIn: rIn, rOut: rOut)
                        rows.append(change)
                    }
                }
            }
        }
        let out = try editor.finish()
        let after = try ModelCost.measure(out, context: context)
        let changed = rows.filter { !$0.action.hasPrefix("kept") }.count
        let report = PassReport(pass: Self.name, id: id, layers: rows, parametersBefore: before.parameters, parametersAfter: after.parameters,
                                flopsBefore: before.flops, flopsAfter: after.flops,
                                kernelSeconds: meter.seconds, kernelFLOPs: meter.flops,
                                notes: ["\(changed) of \(rows.count) layers factorized"])
        return ModelPassOutput(artifact: out, report: report)
    }

    /// Estimated floating-point work of a factorization (for throughput reports).
    static func flops(of w: Work) -> Double {
        switch w {
        case .matrix(let m): return LowRank.svdFLOPs(rows: m.k, cols: m.n)
        case .conv(let c): return LowRank.svdFLOPs(rows: c.cout, cols: c.cin * c.spatial) + LowRank.svdFLOPs(rows: c.cin, cols: c.cout * c.spatial)
        }
    }

    func factorize(_ w: Work, shapes: [String: [Int]]) throws -> Outcome {
        switch w {
        case .matrix(let m): return try factorizeMatrix(m, shapes: shapes)
        case .conv(let c): return try factorizeConv(c, shapes: shapes)
        }
    }

    /// The rank for a matrix (or unfolding) with singular values `s` (descending); k = min(rows, cols) = s.count.
    func rank(_ s: [Float]) -> Int {
        let k = s.count
        let r: Int
        switch config.rule {
        case .rank(let v): r = max(1, min(v, k))
        case .ratio(let q): r = max(1, min(k, Int((q * Double(k)).rounded(.up))))
        case .energy(let e): r = LowRank.energyRank(s, energy: e)
        }
        let m = max(1, config.roundTo)
        return min(k, (r + m - 1) / m * m)
    }

    static func attribute(_ node: Onnx_NodeProto, _ name: String) -> Onnx_AttributeProto? {
        node.attribute.first { $0.name == name }
    }

    // MARK: matrices

    /// A MatMul / Gemm weight as K×N.
    struct MatrixWork: Sendable {
        var wName: String
        var y: String
        var isGemm: Bool
        var k: Int
        var n: Int
        var w: [Float]
    }

    /// The weight of candidate MatMul / Gemm node `i` ready to factorize, or why it is kept; nil when it is not a candidate.
    func matrixWork(_ e: GraphEditor, node i: Int) throws -> Prepared? {
        let n = e.graph.node[i]
        let wName = n.input[1]
        guard let dims = e.shape(wName), dims.count == 2 else { return nil }
        let isGemm = n.opType == "Gemm"
        if isGemm, (Self.attribute(n, "transA")?.i ?? 0) != 0 {
            return .kept(LayerChange(layer: wName, action: "kept: Gemm with transA is not factorized"))
        }
        let transB = isGemm && (Self.attribute(n, "transB")?.i ?? 0) != 0
        let k = transB ? dims[1] : dims[0], nn = transB ? dims[0] : dims[1]
        let w = try e.floats(wName)
        // W as K×N.
        var wk = w
        if transB {
            wk = [Float](repeating: 0, count: w.count)
            for r in 0..<nn { for c in 0..<k { wk[c * nn + r] = w[r * k + c] } }
        }
        return .work(.matrix(MatrixWork(wName: wName, y: n.output[0], isGemm: isGemm, k: k, n: nn, w: wk)))
    }

    func factorizeMatrix(_ m: MatrixWork, shapes: [String: [Int]]) throws -> Outcome {
        let (k, nn) = (m.k, m.n)
        guard let svd = LinearAlgebra.svd(m.w, rows: k, cols: nn) else {
            throw PassError(tensor: m.wName, message: "could not be factorized: the SVD did not converge (the weight may hold NaN or infinite values)")
        }
        let r = rank(svd.s)
        let rows = (shapes[m.y]?.reduce(1, *) ?? nn) / max(nn, 1)
        let paramsBefore = k * nn, paramsAfter = r * (k + nn)
        let flopsBefore = 2 * rows * k * nn, flopsAfter = 2 * rows * r * (k + nn)
        let energy = LowRank.energyKept(svd.s, rank: r)
        guard paramsAfter < paramsBefore, flopsAfter < flopsBefore else {
            return .kept(LayerChange(layer: m.wName, action: "kept: rank \(r) of \(min(k, nn)) would not reduce parameters or FLOPs (\(paramsBefore) → \(paramsAfter) parameters)",
                                     parametersBefore: paramsBefore, parametersAfter: paramsBefore, flopsBefore: flopsBefore, flopsAfter: flopsBefore))
        }
        let f = LowRank.factors(u: svd.u, s: svd.s, vt: svd.vt, rows: k, cols: nn, rank: r)
        let change = LayerChange(layer: m.wName, action: String(format: "rank %d of %d (energy %.4f)", r, min(k, nn), energy),
                                 parametersBefore: paramsBefore, parametersAfter: paramsAfter, flopsBefore: flopsBefore, flopsAfter: flopsAfter)
        return .matrix(m, change, a: f.a, b: f.b, rank: r)
    }

    /// Replaces the layer's node by MatMul(X, A) → t and MatMul(t, B) (or Gemm(t, B, C)).
    func applyMatrix(_ e: GraphEditor, _ m: MatrixWork, a: [Float], b: [Float], rank r: Int) throws {
        guard let i = e.producer(of: m.y) else { return }
        let n = e.graph.node[i]
        let wName = m.wName, y = m.y
        let aName = e.uniqueName(wName + ".lowrank_a")
        try e.setFloats(aName, a, shape: [m.k, r])
        let bName = e.uniqueName(wName + ".lowrank_b")
        try e.setFloats(bName, b, shape: [r, m.n])
        e.noteChanged(aName, by: id)
        e.noteChanged(bName, by: id)
        let mid = e.uniqueName(y + ".lowrank")
        var first = Onnx_NodeProto()
        first.opType = "MatMul"
        first.name = e.uniqueName((n.name.isEmpty ? y : n.name) + "/lowrank_a")
        first.input = [n.input[0], aName]
        first.output = [mid]
        var second = n
        second.input[0] = mid
        second.input[1] = bName
        if m.isGemm { second.attribute = n.attribute.filter { $0.name != "transB" && $0.name != "transA" } }
        var g = e.graph
        g.node[i] = second
        g.node.insert(first, at: i)
        e.graph = g
    }
}
