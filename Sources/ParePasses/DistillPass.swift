import Foundation
import PareBasics
import PareFormats
import PareKernels
import PareONNXProto
import PareRecipe
import PareRuntime

/// `distill` (method `layerwise`): layer-wise reconstruction against the teacher (the imported model).
///
/// Each student MatMul / Gemm / Conv (2-D, group 1: through im2col rows) node with a constant float weight whose first output is also a value of the teacher (by name: the same layer, or
/// after `fold` the BatchNormalization folded into it) is a layer. Layers are visited in graph order; for each, the student (with
/// the layers fitted so far) and the teacher run on the calibration samples and only that layer's student input
/// X (rows M × K, leading dimensions flattened) and teacher output Y_t (M × N) are kept. When the student output
/// differs from Y_t, the free parameters are refitted by ridge least squares
///   (XᵀX + λ·mean(diag XᵀX)·I)·W = XᵀY_t     (float64, Cholesky: LAPACK dposv)
/// where a Gemm's bias C joins as a column of ones in X (y = α·X·op(B) + β·C: the fitted W and c are divided by α
/// and β). Weights that are exactly zero (a pruning mask) stay zero: each output column is then fitted on its own
/// support only. The second product of a `lowrank` pair is such a layer (its output keeps the original name), so it
/// is refitted given the first. A layer whose relative error ‖Y_t − Y_s‖² / ‖Y_t‖² would not drop keeps its
/// values. Quantized weights (`refitQuantized`): per output channel c, y_t ≈ a_c·y_s + b_c by least squares; a_c
/// multiplies every scale of the channel (codes unchanged) and the bias becomes a_c·b + b_c (a Conv B / Gemm C is
/// created when missing; a MatMul, having no bias input, fits a_c alone). Not refitted: palettized weights,
/// per-tensor scales, scales along the input axis, and grouped or auto-padded Convs — they are listed in the
/// report's notes.
public struct DistillPass: ModelPass {
    public static let name = "distill"
    public static let version = 2
    public let id: String
    public let config: DistillConfig

    public init(id: String, config: DistillConfig) {
        self.id = id
        self.config = config
    }

    /// One layer's calibration data: student input rows and teacher output rows.
    struct LayerData {
        var x: [Float]
        var yTeacher: [Float]
        var yStudent: [Float]
        var rows: Int
        var k: Int
        var n: Int
    }

    public func run(_ model: ModelArtifact, context: ModelPassContext) throws -> ModelPassOutput {
        guard let teacher = context.teacher else {
            throw PassError(model: "the model", message: "distill needs the imported (teacher) model, which the build did not provide")
        }
        let samples = Array(context.samples.prefix(config.samples ?? context.samples.count))
        guard !samples.isEmpty else {
            throw PassError(model: "the model", message: "distill needs calibration samples: add data: { calibration: { path: ..., samples: N } } to the recipe")
        }
        let before = try ModelCost.measure(model, context: context)
        let teacherEditor = try GraphEditor(teacher, store: context.store)
        // Any teacher value may be a layer's target: after `fold`, a Conv computes what the teacher's BatchNormalization
        // did and carries its output name.
        let teacherLayers = Set(teacherEditor.graph.node.flatMap(\.output).filter { !$0.isEmpty })
        let editor = try GraphEditor(model, store: context.store)
        let teacherInterpreter = try context.open(teacher)
        var rows: [LayerChange] = []
        var notes: [String] = []
        var seconds = 0.0, flops = 0.0
        let layers = editor.graph.node.compactMap { n -> String? in
            guard ["Gemm", "MatMul", "Conv"].contains(n.opType), n.input.count >= 2, let y = n.output.first, teacherLayers.contains(y),
                  editor.isInitializer(n.input[1]) else { return nil }
            return y
        }
        // Layers whose output no longer has the teacher's shape (channel pruning removed some of their outputs)
        // cannot be matched; their consumers, whose outputs keep the teacher's shape, are re-fitted instead.
        var studentShapes: [String: [Int]] = [:], teacherShapes: [String: [Int]] = [:]
        _ = try context.open(model).run(samples[0]) { name, t in studentShapes[name] = t.shape }
        _ = try teacherInterpreter.run(samples[0]) { name, t in teacherShapes[name] = t.shape }
        var current = model
        for y in layers {
            guard let i = editor.producer(of: y) else { continue }
            if studentShapes[y] != teacherShapes[y] {
                notes.append("\(editor.graph.node[i].input[1]): output \(studentShapes[y] ?? []) differs from the teacher's \(teacherShapes[y] ?? []) (pruned channels); not refitted")
                continue
            }
            let n = editor.graph.node[i]
            let wName = n.input[1]
            // The selection by name and shape (a quantized weight is selected like the float one it encodes).
            guard let record = editor.record(wName), config.selection.selects(name: record.name, dims: record.shape.dims) else { continue }
            if editor.isEncoded(wName) {
                if let row = try refitQuantized(editor, node: n, student: context.open(current), teacher: teacherInterpreter, samples: samples, threads: context.threads, notes: &notes) {
                    rows.append(row)
                    if !row.action.hasPrefix("kept") { current = try editor.finish() }
                }
                continue
            }
            if n.opType == "Gemm", (LowRankPass.attribute(n, "transA")?.i ?? 0) != 0 { notes.append("\(wName): Gemm with transA is not refitted"); continue }
            if editor.consumers(of: wName).count != 1 { notes.append("\(wName): shared weight, not refitted"); continue }
            guard let dims = editor.shape(wName) else { continue }
            let data: LayerData
            if n.opType == "Conv" {
                guard let conv = ConvShape(n, kernel: dims) else { notes.append("\(wName): only 2-D group-1 Conv with explicit pads is refitted"); continue }
                data = try collectConv(student: context.open(current), teacher: teacherInterpreter, x: n.input[0], y: y, conv: conv, samples: samples, threads: context.threads)
            } else {
                guard dims.count == 2 else { continue }
                data = try collect(student: context.open(current), teacher: teacherInterpreter, x: n.input[0], y: y, samples: samples, threads: context.threads)
            }
            let errorBefore = Self.relativeError(data.yTeacher, data.yStudent)
            guard errorBefore > 1e-12 else { continue }
            let start = DispatchTime.now().uptimeNanoseconds
            let fit = try refit(editor, node: n, dims: dims, data: data, threads: context.threads, flops: &flops)
            seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let params = dims.reduce(1, *)
            if let fit, fit.error < errorBefore {
                try editor.setFloats(wName, fit.w, shape: dims)
                editor.noteChanged(wName, by: id)
                if let (c, cShape) = fit.bias, n.input.count > 2 {
                    try editor.setFloats(n.input[2], c, shape: cShape)
                    editor.noteChanged(n.input[2], by: id)
                }
                current = try editor.finish()
                rows.append(LayerChange(layer: wName, action: "refitted \(n.opType) on \(data.rows) rows" + (fit.bias != nil ? " (+ bias)" : ""),
                                        parametersBefore: params, parametersAfter: params, errorBefore: errorBefore, errorAfter: fit.error))
            } else {
                rows.append(LayerChange(layer: wName, action: "kept: the refit did not reduce the error",
                                        parametersBefore: params, parametersAfter: params, errorBefore: errorBefore, errorAfter: errorBefore))
            }
        }
        let out = try editor.finish()
        let after = try ModelCost.measure(out, context: context)
        let fitted = rows.filter { !$0.action.hasPrefix("kept") }
        func mean(_ v: [Double]) -> Double { v.isEmpty ? 0 : v.reduce(0, +) / Double(v.count) }
        notes.insert(String(format: "%d layers refitted on %d samples; mean relative error %.6g → %.6g", fitted.count, samples.count,
                            mean(rows.compactMap(\.errorBefore)), mean(rows.compactMap(\.errorAfter))), at: 0)
        let report = PassReport(pass: Self.name, id: id, layers: rows, parametersBefore: before.parameters, parametersAfter: after.parameters,
                                flopsBefore: before.flops, flopsAfter: after.flops, kernelSeconds: seconds, kernelFLOPs: flops, notes: notes)
        return ModelPassOutput(artifact: out, report: report)
    }

    /// ‖a − b‖² / ‖a‖².
    static func relativeError(_ a: [Float], _ b: [Float]) -> Double {
        var num = 0.0, den = 0.0
        for (p, q) in zip(a, b) { let d = Double(p) - Double(q); num += d * d; den += Double(p) * Double(p) }
        return den > 0 ? num / den : (num > 0 ? .infinity : 0)
    }

    /// Runs both models on every sample (`threads` samples at a time, each run stopping once it has the layer's
    /// values), keeping only this layer's student input and both outputs, in sample order.
    func collect(student: Interpreter, teacher: Interpreter, x: String, y: String, samples: [[String: Tensor]], threads: Int) throws -> LayerData {
        var xs: [Float] = [], ys: [Float] = [], yt: [Float] = []
        var k = 0, n = 0
        try student.forEachCapture(samples, names: [x, y], threads: threads) { _, values in
            for (name, t) in values {
                if name == x { xs += t.asFloats; k = t.shape.last ?? 1 }
                if name == y { ys += t.asFloats; n = t.shape.last ?? 1 }
            }
        }
        try teacher.forEachCapture(samples, names: [y], threads: threads) { _, values in for (_, t) in values { yt += t.asFloats } }
        guard k > 0, n > 0, xs.count % k == 0, ys.count == yt.count, ys.count % n == 0, xs.count / k == ys.count / n else {
            throw PassError(tensor: y, message: "student and teacher layer outputs do not match in shape; distill needs the same layer outputs")
        }
        return LayerData(x: xs, yTeacher: yt, yStudent: ys, rows: xs.count / k, k: k, n: n)
    }
}
