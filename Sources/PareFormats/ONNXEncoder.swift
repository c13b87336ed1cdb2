import PareBasics
import PareONNXProto

/// Writes compressed weights into an ONNX model as standard ONNX (DequantizeLinear, Cast) or ONNX Runtime
/// (`com.microsoft.MatMulNBits`) constructs, upgrading the model's opset when an encoding needs it.
///
/// Rules:
/// - a quantized initializer `W` becomes initializers `W_quantized`, `W_scale` [, `W_zero_point`] and a
///   `DequantizeLinear` node whose output is named `W`, so its consumers are unchanged; these nodes go at the
///   start of the graph in weight-name order. Per-group weights whose groups do not lie along one axis are
///   dequantized as a rows × cols matrix followed by `Reshape` (and `Transpose`), whose last output is `W`.
/// - a weight held by a `Constant` node: that node is replaced, in place, by Constant nodes for the parts
///   followed by the same nodes as above.
/// - `.float16` / `.bfloat16`: a `W_float16` / `W_bfloat16` initializer and `Cast(to=FLOAT)` named `W`;
///   `.float32Replaced`: new values, same name, type and shape.
/// - with `allowMatMulNBits`, an int4/uint4 weight quantized per group along K and read only as input 1 of
///   MatMul nodes makes each of them a `com.microsoft.MatMulNBits` (opset import `com.microsoft` 1 added).
/// - `.palettized`: index planes + table initializers and Cast/Div/Mod/Mul/ReduceSum/Reshape/Add/Gather nodes whose
///   last output is `W` (see `writePalette`; needs opset 13).
/// - opsets: DequantizeLinear needs 10 (per tensor), 13 (per channel), 19 (FLOAT16 scales), 21 (int4/uint4,
///   per group); a BFLOAT16 Cast needs 13. When the model's opset is lower, it is upgraded
///   (``ONNXOpsetUpgrade``); when it cannot be (or `targetOpset` pins a lower one), the weight falls back to
///   integer codes + `Cast` + `Sub` + `Mul` by a broadcast scale (opset ≥ 7), and the report says why.
/// - activations (after the weights; ``ONNXEncodeOptions/activations``, `quantizeBiases`,
///   `dynamicActivations`): static QuantizeLinear → DequantizeLinear pairs, int32 Conv / Gemm biases, or the
///   dynamic DynamicQuantizeLinear + MatMulInteger / ConvInteger form; see `quantizeStatic`, `quantizeBiases`
///   and `writeDynamic` (ActivationWriter) for the exact rules. They need opset 10 (8-bit), 21 (16-bit) or 11
///   (dynamic): the model is upgraded, or the encode fails.
/// Output is deterministic: the same inputs give byte-identical serialized models.
public enum ONNXEncoder {
    typealias P = ONNXEncodeProto

    /// How one weight will be written.
    enum Plan {
        case dequantize(ONNXQuantizedWeight, ONNXLayout.DequantizeLinearForm)
        case matMulNBits(ONNXQuantizedWeight, ONNXLayout.MatMulNBitsForm)
        case castMul(ONNXQuantizedWeight, ONNXLayout.CastMulForm, reason: String)
        /// FLOAT16 or BFLOAT16 bits.
        case half([UInt16], type: Int32)
        case replace([Float])
        case palette(ONNXPalettizedWeight)
    }

    /// Encodes `weights` (by initializer or Constant output name) into `model`.
    /// - Throws: `FormatError` naming `options.modelName` and the weight (or node) for: a name that is no
    ///   initializer or Constant of the main graph, a weight that is not FLOAT, a shape or element count that
    ///   does not match, an invalid ``ONNXQuantizedWeight``, a `targetOpset` below the model's, a failed
    ///   explicit upgrade, or an encoding no reachable opset can express (bfloat16 below opset 13, any
    ///   quantized weight below opset 7); and for activations: an invalid ``ONNXActivationQuant``, a name that is
    ///   no float graph input or node output (with a did-you-mean), an initializer / weight / already-dequantized
    ///   weight, an opset the model cannot be upgraded to, static and dynamic together, or float16 compute.
    public static func encode(_ model: Onnx_ModelProto, weights: [String: ONNXWeightEncoding],
                              options: ONNXEncodeOptions) throws -> ONNXEncodeResult {
        let file = options.modelName
        guard let original = P.defaultOpset(model) else {
            throw FormatError(file: file, message: "the model imports no ai.onnx opset; add an opset_import for the default domain")
        }
        if let t = options.targetOpset, t < original {
            throw FormatError(file: file, message: "targetOpset \(t) is lower than the model's opset \(original); pare only upgrades")
        }
        let activationOpset = try checkActivations(model, weights: Set(weights.keys), options: options)
        let computeType = options.keepFloat16Compute ? P.float16 : P.float
        let tensors = locateWeights(model.graph)
        let usage = ONNXUsage.analyze(model.graph, matMulNBitsBlockSize: 1)
        var plans: [(name: String, plan: Plan)] = []
        var notes: [String: String] = [:]
        for name in weights.keys.sorted() {
            guard let t = tensors[name] else {
                throw FormatError(file: file, tensor: name, message: "is not an initializer or Constant output of the main graph"
                                  + Suggestion.hint(for: name, in: tensors.keys.sorted()))
            }
            guard t.dataType == P.float else {
                throw FormatError(file: file, tensor: name, message: "is \(P.typeName(t.dataType)); pare encodes FLOAT weights only")
            }
            let shape = P.shape(t), count = P.elementCount(t)
            func checkCount(_ n: Int, _ what: String) throws {
                guard n == count else {
                    throw FormatError(file: file, tensor: name, message: "\(what) has \(n) values but the tensor \(shape) has \(count)")
                }
            }
            switch weights[name]! {
            case .quantized(let q):
                try q.validate(name: name, file: file)
                guard q.shape == shape else {
                    throw FormatError(file: file, tensor: name, message: "was quantized with shape \(q.shape) but the model's tensor has shape \(shape)")
                }
                let nbitsProblem = ONNXLayout.matMulNBitsIncompatibility(q)
                if options.allowMatMulNBits, usage[name]?.matMulNBitsEligible == true, nbitsProblem == nil {
                    plans.append((name, .matMulNBits(q, try ONNXLayout.matMulNBits(q, name: name, file: file, scaleType: computeType))))
                } else {
                    if options.allowMatMulNBits, q.bits == 4 {
                        notes[name] = usage[name]?.matMulNBitsEligible == true ? "not MatMulNBits: \(nbitsProblem!)"
                            : "not MatMulNBits: not read only as input 1 of MatMul nodes"
                    }
                    if q.hasFractionalZeroPoints {
                        plans.append((name, .castMul(q, try ONNXLayout.castMul(q, name: name, file: file, floatType: computeType),
                                                     reason: "fractional zero points (fit: mse) have no DequantizeLinear form")))
                    } else {
                        plans.append((name, .dequantize(q, try ONNXLayout.dequantizeLinear(q, name: name, file: file, scaleType: computeType))))
                    }
                }
            case .float16(let bits):
                try checkCount(bits.count, "the float16 encoding")
                plans.append((name, .half(bits, type: P.float16)))
            case .bfloat16(let bits):
                try checkCount(bits.count, "the bfloat16 encoding")
                plans.append((name, .half(bits, type: P.bfloat16)))
            case .float32Replaced(let values):
                try checkCount(values.count, "the replacement")
                plans.append((name, .replace(values)))
            case .palettized(let w):
                try w.validate(name: name, file: file)
                guard w.shape == shape else {
                    throw FormatError(file: file, tensor: name, message: "was palettized with shape \(w.shape) but the model's tensor has shape \(shape)")
                }
                plans.append((name, .palette(w)))
            }
        }

        var m = model
        var report: [String] = []
        let (opset, upgradeFailure) = try chooseOpset(&m, plans: plans, original: original, options: options,
                                                        activationOpset: activationOpset, report: &report)
        if let need = activationOpset, opset < need {
            let what = options.dynamicActivations ? "the dynamic form (DynamicQuantizeLinear)"
                : "the activations (" + Set(options.activations.filter { $0.minimumOpset == need }.map(\.dtype)).sorted().joined(separator: ", ") + ")"
            throw FormatError(file: file, message: "\(what) need\(options.dynamicActivations ? "s" : "") opset \(need) but the model stays at opset \(opset)"
                              + (upgradeFailure.map { "; \($0)" } ?? (options.targetOpset != nil ? " (targetOpset)" : "")))
        }
        for i in plans.indices {
            let name = plans[i].name
            switch plans[i].plan {
            case .dequantize(let q, let form) where form.minimumOpset > opset:
                guard opset >= 7 else {
                    throw FormatError(file: file, tensor: name, message: "needs opset \(form.minimumOpset) for DequantizeLinear and "
                                      + "opset 7 for the Cast/Mul fallback, but the model stays at opset \(opset)")
                }
                var why = "DequantizeLinear for \(q.dtype) \(q.granularity) needs opset \(form.minimumOpset), the model has \(opset)"
                if let f = upgradeFailure { why += "; \(f)" } else if options.targetOpset != nil { why += " (targetOpset)" }
                plans[i].plan = .castMul(q, try ONNXLayout.castMul(q, name: name, file: file, floatType: computeType), reason: why)
            case .palette where opset < 13:
                throw FormatError(file: file, tensor: name, message: "palettized weights need opset 13 (ReduceSum with an axes input, "
                                  + "integer Div/Mod) but the model stays at opset \(opset)\(upgradeFailure.map { "; \($0)" } ?? "")")
            case .half(_, let type) where type == P.bfloat16 && opset < 13:
                throw FormatError(file: file, tensor: name, message: "bfloat16 needs opset 13 (Cast from BFLOAT16) but the model "
                                  + "stays at opset \(opset)\(upgradeFailure.map { "; \($0)" } ?? ""); use float16 instead")
            default: break
            }
        }
        if options.keepFloat16Compute {
            try convertToFloat16Compute(&m, encoded: Set(weights.keys), file: file, report: &report)
        }
        var rewriter = Rewriter(model: m, computeType: computeType, file: file)
        for (name, plan) in plans { try rewriter.apply(name: name, plan: plan, note: notes[name]) }
        let result = try rewriter.finish()
        guard activationOpset != nil else { return ONNXEncodeResult(model: result.model, report: report + result.report) }
        var writer = ActivationWriter(model: result.model, file: file, opset: opset, weights: writtenWeights(plans))
        if options.dynamicActivations {
            writer.writeDynamic()
        } else {
            let quantized = writer.quantizeStatic(options.activations)
            if options.quantizeBiases { writer.quantizeBiases(quantized) }
        }
        return ONNXEncodeResult(model: writer.finish(), report: report + result.report + writer.report)
    }

    /// How each weight was finally written (after opset fallbacks), for the activation rules.
    static func writtenWeights(_ plans: [(name: String, plan: Plan)]) -> [String: WrittenWeight] {
        var out: [String: WrittenWeight] = [:]
        for (name, plan) in plans {
            switch plan {
            case .dequantize(let q, let f):
                let single = f.reshape == nil && f.transpose == nil
                out[name] = WrittenWeight(quantized: q, form: single ? "DequantizeLinear" : "DequantizeLinear + Reshape/Transpose",
                                          isDequantizeLinear: single)
            case .castMul(let q, _, _): out[name] = WrittenWeight(quantized: q, form: "the Cast/Mul fallback", isDequantizeLinear: false)
            case .matMulNBits(let q, _): out[name] = WrittenWeight(quantized: q, form: "MatMulNBits", isDequantizeLinear: false)
            case .half(_, let type): out[name] = WrittenWeight(quantized: nil, form: P.typeName(type), isDequantizeLinear: false)
            case .replace: out[name] = WrittenWeight(quantized: nil, form: "replaced float32 values", isDequantizeLinear: false)
            case .palette: out[name] = WrittenWeight(quantized: nil, form: "a palettized Gather", isDequantizeLinear: false)
            }
        }
        return out
    }

    /// Initializers and Constant-node values of the main graph by name.
    static func locateWeights(_ g: Onnx_GraphProto) -> [String: Onnx_TensorProto] {
        var out: [String: Onnx_TensorProto] = [:]
        for t in g.initializer { out[t.name] = t }
        for n in g.node {
            if let t = P.constantValue(n), n.output.count == 1 { out[n.output[0]] = t }
        }
        return out
    }

    /// Upgrades the model to what the plans need (or to `targetOpset`); returns the final opset and, when an
    /// automatic upgrade was impossible, why.
    private static func chooseOpset(_ m: inout Onnx_ModelProto, plans: [(name: String, plan: Plan)], original: Int,
                                    options: ONNXEncodeOptions, activationOpset: Int?,
                                    report: inout [String]) throws -> (Int, String?) {
        var opset = original
        if let t = options.targetOpset, t > original {
            let r = try ONNXOpsetUpgrade.upgrade(m, to: t, file: options.modelName)
            m = r.model
            report += r.report
            opset = t
        }
        guard options.targetOpset == nil else { return (opset, nil) }
        var needed = Set<Int>(activationOpset.map { [$0] } ?? [])
        for (_, plan) in plans {
            switch plan {
            case .dequantize(_, let f): needed.insert(f.minimumOpset)
            case .half(_, let type) where type == P.bfloat16: needed.insert(13)
            case .palette: needed.insert(13)
            default: break
            }
        }
        var failure: String?
        for level in needed.filter({ $0 > opset }).sorted(by: >) {
            do {
                let r = try ONNXOpsetUpgrade.upgrade(m, to: level, file: options.modelName)
                m = r.model
                report += r.report
                opset = level
                return (opset, failure)  // a higher level may have failed first: say why
            } catch let e as FormatError {
                if failure == nil { failure = "upgrading to opset \(level) failed: \(e.message)" }
            }
        }
        return (opset, failure)
    }
}
