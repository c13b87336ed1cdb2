import Foundation
import PareBasics
import PareFormats
import PareKernels
import PareRecipe
import PareRuntime

/// `gptq`: weight quantization that corrects each quantized input column's error on the columns not yet
/// quantized, with the layer-input Hessian H = 2/n · Σ XᵀX from the calibration samples (see ``GPTQ``).
///
/// Weights: the selected constant weights of MatMul (input 1, [K, N]), Gemm (input 1) and 2-D Conv with group 1
/// (im2col: K = Cin·kh·kw, columns in (ci, ky, kx) order). X is the layer's input in the float model (every layer's
/// Hessian comes from the unquantized model). A selected weight read by another op is quantized with H = I,
/// which is exactly round to nearest, and the report says so. The output records are those `quantize` produces
/// for the same scheme (``QuantizePass/encodedRecord(_:q:spec:axis:stats:passID:store:)``).
///
/// Memory: one layer's working set at a time beyond the model — its Hessian (cols² float64) is accumulated in one
/// pass over the samples (``hessianBudget`` 0: one layer per pass), then its GPTQ holds H, U and a float64 copy of
/// its weight, and all are released before the next layer.
///
/// Threads (`context.threads`): the Hessian's Gram products, GPTQ's row chunks and the proxy-loss products are
/// split into fixed blocks (``LinearAlgebra``'s parallel functions, ``GPTQ/rowChunk``), so the output does not
/// depend on the thread count (nor on `--jobs`).
public struct GPTQPass: ModelPass {
    public static let name = "gptq"
    public static let version = 2
    public let id: String
    public let config: GPTQConfig

    /// Bytes of Hessians that may be accumulated together in one pass over the calibration samples (always at least
    /// one layer). 0: strictly one layer at a time, at the cost of one pass over the samples per layer.
    public static let hessianBudget = 0

    public init(id: String, config: GPTQConfig) {
        self.id = id
        self.config = config
    }

    public func run(_ model: ModelArtifact, context: ModelPassContext) throws -> ModelPassOutput {
        guard !context.samples.isEmpty else {
            throw PassError(model: context.modelName, message: "gptq needs calibration samples: add data.calibration to the recipe")
        }
        guard config.weights.fit == .minmax else {
            throw PassError(model: context.modelName, message: "gptq: weights.fit must be minmax (GPTQ chooses the codes itself)")
        }
        let samples = Array(context.samples.prefix(config.samples ?? context.samples.count))
        let tc = context.tensorContext
        let threads = context.threads
        let axes = try tc.channelAxes(model)
        let editor = try GraphEditor(model, store: context.store)
        let layers = GPTQPass.layers(model, graph: editor.graph, selection: config.selection, axes: axes)
        let spec = config.weights
        let scheme = QuantizePass.kernelScheme(spec)
        if case .perGroup(let g) = scheme.granularity, let bad = layers.first(where: { $0.cols % g != 0 }) {
            throw PassError(tensor: bad.name, message: "has \(bad.cols) input features, not a multiple of the group size \(g); choose a group that divides it or exclude the tensor")
        }
        let interpreter = try context.open(model)
        var out = model
        var rows: [LayerChange] = []
        var seconds = 0.0, flops = 0.0
        var gptqTotal = 0.0, rtnTotal = 0.0
        var notes: [String] = []
        // Batches of layers whose Hessians fit the budget together.
        var start = 0
        while start < layers.count {
            var end = start, bytes = 0
            while end < layers.count && (end == start || bytes + layers[end].cols * layers[end].cols * 8 <= GPTQPass.hessianBudget) {
                bytes += layers[end].cols * layers[end].cols * 8
                end += 1
            }
            let batch = Array(layers[start..<end])
            var hs = try GPTQPass.hessians(batch, interpreter: interpreter, samples: samples, threads: threads)
            for (bi, layer) in batch.enumerated() {
                let h = hs[bi]
                hs[bi] = []
                let k = layer.cols
                let rawH: [Double]
                if layer.unsupported != nil || layer.uses.isEmpty {
                    rawH = (0..<(k * k)).map { $0 / k == $0 % k ? 1 : 0 }
                    notes.append("\(layer.name): \(layer.unsupported ?? "no supported reader"); quantized with H = I (round to nearest)")
                } else {
                    rawH = h
                }
                let record = model.tensors[layer.index]
                let input = try tc.floats(of: record)
                let w: [Float] = try input.withBuffer { x in
                    if let bad = FiniteCheck.firstNonFinite(x) {
                        throw PassError(tensor: record.name, message: "has a non-finite value (NaN or Inf) at element \(bad); fix the source model")
                    }
                    return layer.axis == 0 ? Array(x) : Layout.moveAxisToFront(x, outer: layer.outer, mid: layer.rows, inner: layer.inner)
                }
                let options = GPTQ.Options(damping: config.damping, actOrder: config.actOrder, blockSize: config.blockSize)
                let t0 = DispatchTime.now().uptimeNanoseconds
                let result = w.withUnsafeBufferPointer { GPTQ.fast($0, rows: layer.rows, cols: k, hessian: rawH, scheme: scheme, options: options, threads: threads) }
                seconds += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                guard let result else {
                    throw PassError(tensor: layer.name, message: "gptq: H + damping is not positive definite; raise `damping` (now \(config.damping))")
                }
                flops += result.flops
                // Proxy losses ‖(W − Ŵ)X‖²·2/n for GPTQ and for round to nearest of the same scheme, relative to ‖WX‖²·2/n.
                let rtn = w.withUnsafeBufferPointer { Quantizer.fast($0, rows: layer.rows, cols: k, scheme: scheme, threads: threads) }
                let rtnHat = Quantizer.dequantize(rtn, scheme: scheme)
                let zero = [Float](repeating: 0, count: w.count)
                let (signal, lossG, lossR) = w.withUnsafeBufferPointer { wb in
                    (GPTQ.proxyLoss(wb, zero, rows: layer.rows, cols: k, hessian: rawH, threads: threads),
                     GPTQ.proxyLoss(wb, result.dequantized, rows: layer.rows, cols: k, hessian: rawH, threads: threads),
                     GPTQ.proxyLoss(wb, rtnHat, rows: layer.rows, cols: k, hessian: rawH, threads: threads))
                }
                if layer.unsupported == nil && !layer.uses.isEmpty {
                    gptqTotal += lossG
                    rtnTotal += lossR
                }
                let origin = try tc.origin(of: record)
                let stats = origin.withBuffer { o in
                    let m = layer.axis == 0 ? Array(o) : Layout.moveAxisToFront(o, outer: layer.outer, mid: layer.rows, inner: layer.inner)
                    return m.withUnsafeBufferPointer { ErrorMetrics.quantizationError(original: $0, quantized: result.quantized, scheme: scheme, threads: threads) }
                }
                out.tensors[layer.index] = try QuantizePass.encodedRecord(record, q: result.quantized, spec: spec, axis: layer.axis, stats: stats,
                                                                           passID: id, store: context.store)
                let n = record.shape.dims.reduce(1, *)
                rows.append(LayerChange(layer: layer.name, action: "gptq \(GPTQPass.describe(spec))", parametersBefore: n, parametersAfter: n,
                                        errorBefore: signal > 0 ? lossR / signal : 0, errorAfter: signal > 0 ? lossG / signal : 0))
            }
            start = end
        }
        let params = model.tensors.reduce(0) { $0 + ($1.dtype.isFloatingPoint || $1.quant != nil ? $1.shape.dims.reduce(1, *) : 0) }
        notes.insert("errorBefore / errorAfter: relative proxy loss ‖(W − Ŵ)X‖² / ‖WX‖² of round to nearest / gptq on \(samples.count) calibration samples", at: 0)
        notes.insert(String(format: "summed proxy loss gptq / round to nearest (layers with a Hessian): %.4f", rtnTotal > 0 ? gptqTotal / rtnTotal : 1), at: 1)
        let report = PassReport(pass: Self.name, id: id, layers: rows, parametersBefore: params, parametersAfter: params,
                                kernelSeconds: seconds, kernelFLOPs: flops, notes: notes)
        return ModelPassOutput(artifact: out, report: report)
    }

    /// "int4 per-group(32)", "int8 per-channel", "uint8 per-tensor asymmetric".
    public static func describe(_ s: WeightQuantSpec) -> String {
        var t = s.dtype.rawValue
        switch s.granularity {
        case .perTensor: t += " per-tensor"
        case .perChannel: t += " per-channel"
        case .perGroup: t += " per-group(\(s.group))"
        }
        if !s.symmetric { t += " asymmetric" }
        return t
    }
}
