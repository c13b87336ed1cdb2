import PareFormats
import PareKernels
import PareONNXProto
import PareRecipe
import PareRuntime

/// Chooses per-tensor quantization parameters for the activations of an ONNX graph from calibration statistics
/// (the static half of `quantize` with `activations:`).
///
/// Which values: every float graph input and node output that the calibration observed, except values computed
/// from constants alone (weights, shapes), and values that deployment runtimes fuse away: the output of a Conv /
/// ConvTranspose / Gemm / MatMul read only by a BatchNormalization (folded into the weights), and the output of
/// those ops, of BatchNormalization or of Add read only by a Relu or Clip (the activation runs in the producer's
/// output stage). Those stay float inside the fused op and the fused op's output is quantized (recorded in `kept`
/// as "fused"). Each gets a precision: the last matching `overrides` entry, else the
/// resolved `fragilePrecision` for fragile values, else the pass's `dtype`. Fragile values are the inputs of
/// Softmax / LogSoftmax / LayerNormalization, the model's outputs, and normalization statistics: the output of a
/// Pow or of a Mul of a value with itself, and what ReduceMean / ReduceSum / Add / Sqrt / Reciprocal compute from
/// such a statistic.
///
/// Parameters of a value quantized to a type with codes [qmin, qmax] (uint8 [0, 255], int8 [−128, 127], uint16,
/// int16), from the range (lo, hi) that `RangeMethod` gives (0 is always inside it):
/// - symmetric: t = max(−lo, hi); scale = t / q, with q = 127 (8-bit) or 32767 (16-bit); zero point 0 for signed
///   types, 128 / 32768 for unsigned ones;
/// - asymmetric: scale = (hi − lo) / (qmax − qmin), zero point = round(qmin − lo / scale) (half to even, in Double),
///   clamped to [qmin, qmax];
/// - scale is computed in Double and rounded to Float once; a range of width 0 gives scale 1, zero point of 0's code.
public enum ActivationQuantizer {
    /// The parameters for `graph`'s activations.
    public static func choose(graph: Onnx_GraphProto, statistics: CalibrationStatistics, spec: ActivationQuantSpec,
                              statisticsDigest: String?) -> ActivationEncoding {
        let constant = constantValues(graph)
        let fragile = fragileValues(graph)
        let fused = fusedValues(graph)
        var candidates: [String] = []
        var seen = Set<String>()
        func consider(_ name: String) {
            guard !name.isEmpty, !constant.contains(name), statistics.histograms[name] != nil, seen.insert(name).inserted else { return }
            candidates.append(name)
        }
        for i in graph.input { consider(i.name) }
        for n in graph.node { for o in n.output { consider(o) } }
        var quantized: [ONNXActivationQuant] = []
        var kept: [String: String] = [:]
        let base = ActivationPrecision(rawValue: spec.dtype.rawValue) ?? .uint8
        for name in candidates.sorted() {
            if let f = fused[name], spec.override(for: name) == nil {
                kept[name] = f
                continue
            }
            var precision = base
            var reason = ""
            if let f = fragile[name], spec.fragile == .keep, let p = spec.fragilePrecision { precision = p; reason = f }
            if let o = spec.override(for: name) { precision = o; reason = "override" }
            guard let dtype = precision.dtype else {
                kept[name] = reason.isEmpty ? "float" : reason
                continue
            }
            let h = statistics.histograms[name]!
            quantized.append(parameters(name: name, histogram: h, dtype: dtype, symmetric: spec.symmetric ?? false,
                                        method: rangeMethod(spec)))
        }
        let method = spec.method == .percentile ? "percentile \(spec.percentile)" : spec.method.rawValue
        return ActivationEncoding(quantized: quantized, kept: kept, dynamic: false, method: method, statistics: statisticsDigest)
    }

    /// The kernel's range method for a spec.
    public static func rangeMethod(_ spec: ActivationQuantSpec) -> RangeMethod {
        switch spec.method {
        case .minmax: return .minmax
        case .percentile: return .percentile(spec.percentile)
        case .entropy: return .entropy
        case .mse: return .mse
        }
    }

    /// One value's parameters (rules on ``ActivationQuantizer``).
    public static func parameters(name: String, histogram h: ActivationHistogram, dtype: ActivationDType, symmetric: Bool,
                                  method: RangeMethod) -> ONNXActivationQuant {
        let wide = dtype.is16Bit
        let qmin: Double = dtype.isSigned ? (wide ? -32768 : -128) : 0
        let qmax: Double = dtype.isSigned ? (wide ? 32767 : 127) : (wide ? 65535 : 255)
        let (lo, hi) = method.range(h, levels: dtype.levels, symmetric: symmetric)
        var scale: Double, zp: Double
        if symmetric {
            let t = Double(Swift.max(-lo, hi))
            scale = t / (wide ? 32767 : 127)
            zp = dtype.isSigned ? 0 : (wide ? 32768 : 128)
        } else {
            scale = (Double(hi) - Double(lo)) / (qmax - qmin)
            zp = scale > 0 ? (qmin - Double(lo) / scale).rounded(.toNearestOrEven) : (dtype.isSigned ? 0 : qmin)
            zp = Swift.min(Swift.max(zp, qmin), qmax)
        }
        if !(scale > 0) || !Float(scale).isNormal { scale = 1 }
        return ONNXActivationQuant(name: name, dtype: dtype.rawValue, scale: Float(scale), zeroPoint: Int32(zp))
    }

    /// Values computed from initializers and Constant nodes alone (weights, their transposes, shapes).
    public static func constantValues(_ graph: Onnx_GraphProto) -> Set<String> {
        var constant = Set(graph.initializer.map(\.name))
        let inputs = Set(graph.input.map(\.name)).subtracting(constant)
        for n in graph.node {
            let ins = n.input.filter { !$0.isEmpty }
            if n.opType == "Constant" || (!ins.isEmpty && ins.allSatisfy { constant.contains($0) && !inputs.contains($0) })
                || n.opType == "Shape" || n.opType == "Size" {
                for o in n.output { constant.insert(o) }
            }
        }
        return constant
    }

    /// Values fused into their consumer at deployment, with the reason (rules on ``ActivationQuantizer``).
    public static func fusedValues(_ graph: Onnx_GraphProto) -> [String: String] {
        var readers: [String: [Onnx_NodeProto]] = [:]
        for n in graph.node { for i in Set(n.input) where !i.isEmpty { readers[i, default: []].append(n) } }
        let outputs = Set(graph.output.map(\.name))
        let linear: Set<String> = ["Conv", "ConvTranspose", "Gemm", "MatMul"]
        var out: [String: String] = [:]
        for n in graph.node {
            guard let y = n.output.first, !outputs.contains(y), let r = readers[y], r.count == 1 else { continue }
            let consumer = r[0].opType
            if consumer == "BatchNormalization" && linear.contains(n.opType) {
                out[y] = "fused (\(n.opType) → BatchNormalization folded)"
            } else if (consumer == "Relu" || consumer == "Clip") && (linear.contains(n.opType) || n.opType == "BatchNormalization" || n.opType == "Add") {
                out[y] = "fused (\(n.opType) → \(consumer))"
            }
        }
        return out
    }

    /// Fragile values and why (rules on ``ActivationQuantizer``).
    public static func fragileValues(_ graph: Onnx_GraphProto) -> [String: String] {
        var out: [String: String] = [:]
        var statistic = Set<String>()
        for n in graph.node {
            switch n.opType {
            case "Softmax", "LogSoftmax":
                if let x = n.input.first { out[x] = "\(n.opType.lowercased()) input" }
            case "LayerNormalization":
                if let x = n.input.first { out[x] = "layernorm input" }
            case "Pow":
                statistic.formUnion(n.output)
            case "Mul" where n.input.count == 2 && n.input[0] == n.input[1]:
                statistic.formUnion(n.output)
            case "ReduceMean", "ReduceSum", "Add", "Sqrt", "Reciprocal":
                if n.input.contains(where: { statistic.contains($0) }) { statistic.formUnion(n.output) }
            default: break
            }
        }
        for s in statistic where out[s] == nil { out[s] = "normalization statistic" }
        for o in graph.output { out[o.name] = "model output" }
        return out
    }
}
