import PareONNXProto

extension ONNXOpsetUpgrade.Run {
    typealias P = ONNXEncodeProto

    /// Rewrites `s.node` from its previous definition of `op` to the one introduced in opset `v`. Definitions
    /// not listed here only extend the accepted types or add attributes / optional inputs whose defaults keep
    /// the previous behaviour (e.g. ArgMax-12 `select_last_index` = 0, Reshape-14 `allowzero` = 0, RNN-14
    /// `layout` = 0, LpPool-18 `ceil_mode` = 0, Cast-19 `saturate` which only affects float8).
    mutating func apply(_ s: inout ONNXOpsetUpgrade.Step, op: String, to v: Int) throws {
        switch (op, v) {
        case ("BatchNormalization", 9):
            if let spatial = P.int(s.node, "spatial"), spatial != 1 {
                throw error(s, "BatchNormalization-7 with spatial=\(spatial) (per-activation statistics) has no "
                            + "equivalent from opset 9 on")
            }
            if P.attr(s.node, "spatial") != nil {
                P.removeAttr(&s.node, "spatial")
                note("BatchNormalization → 9: 'spatial' attribute (1) removed")
            }
        case ("BatchNormalization", 14):
            try dropUnusedOutputs(&s, keep: 1, why: "the training outputs (mean, var, saved_mean, saved_var) changed "
                                  + "meaning in BatchNormalization-14")
        case ("Dropout", 10):
            try dropUnusedOutputs(&s, keep: 1, why: "Dropout-10's mask output is BOOL instead of the input type")
        case ("Dropout", 12):
            if let ratio = P.float(s.node, "ratio") {
                P.removeAttr(&s.node, "ratio")
                let t = P.floatScalar(type: P.float, Double(ratio))
                s.node.input = [s.node.input[0], constant(&s, t, suffix: "ratio")]
                note("Dropout → 12: 'ratio' attribute → input")
            }
        case ("Upsample", 9):
            if let scales = P.floats(s.node, "scales") {
                P.removeAttr(&s.node, "scales")
                s.node.input.append(constant(&s, P.floats(dims: [scales.count], scales), suffix: "scales"))
                note("Upsample → 9: 'scales' attribute → input")
            }
        case ("Upsample", 10):
            // Upsample is deprecated from opset 10: Resize-10 has the same semantics (asymmetric coordinates).
            s.node.opType = "Resize"
            if P.attr(s.node, "mode") == nil { P.setAttr(&s.node, P.stringAttr("mode", "nearest")) }
            s.fromUpsample = true
            note("Upsample → Resize (Upsample is deprecated from opset 10)")
        case ("Resize", 11):
            try resize10to11(&s)
        case ("Resize", 13):
            if P.string(s.node, "coordinate_transformation_mode") == "tf_half_pixel_for_nn" {
                throw error(s, "coordinate_transformation_mode 'tf_half_pixel_for_nn' was removed in Resize-13 and has "
                            + "no equivalent")
            }
        case ("Scatter", 11):
            s.node.opType = "ScatterElements"
            note("Scatter → ScatterElements (Scatter is deprecated from opset 11)")
        case ("Slice", 10):
            let starts = P.ints(s.node, "starts") ?? [], ends = P.ints(s.node, "ends") ?? []
            let axes = P.ints(s.node, "axes")
            for a in ["starts", "ends", "axes"] { P.removeAttr(&s.node, a) }
            var inputs = [s.node.input[0], constant(&s, int64s(starts), suffix: "starts"), constant(&s, int64s(ends), suffix: "ends")]
            if let axes { inputs.append(constant(&s, int64s(axes), suffix: "axes")) }
            s.node.input = inputs
            note("Slice → 10: starts/ends/axes attributes → inputs")
        case ("TopK", 10):
            guard let k = P.int(s.node, "k") else { throw error(s, "TopK-1 without the required 'k' attribute") }
            P.removeAttr(&s.node, "k")
            s.node.input = [s.node.input[0], constant(&s, P.int64s(dims: [1], [Int64(k)]), suffix: "k")]
            note("TopK → 10: 'k' attribute → input")
        case ("Clip", 11):
            let lo = P.float(s.node, "min"), hi = P.float(s.node, "max")
            P.removeAttr(&s.node, "min")
            P.removeAttr(&s.node, "max")
            let type = s.facts(ofInput: 0)?.type ?? P.float
            var inputs = [s.node.input[0]]
            if let lo { inputs.append(constant(&s, P.floatScalar(type: type, Double(lo)), suffix: "min")) }
            if let hi {
                if lo == nil { inputs.append("") }
                inputs.append(constant(&s, P.floatScalar(type: type, Double(hi)), suffix: "max"))
            }
            s.node.input = inputs
            if lo != nil || hi != nil { note("Clip → 11: min/max attributes → inputs") }
        case ("Pad", 11):
            guard let pads = P.ints(s.node, "pads") else { throw error(s, "Pad-2 without the required 'pads' attribute") }
            let value = P.float(s.node, "value") ?? 0
            P.removeAttr(&s.node, "pads")
            P.removeAttr(&s.node, "value")
            var inputs = [s.node.input[0], constant(&s, int64s(pads), suffix: "pads")]
            if value != 0 && (P.string(s.node, "mode") ?? "constant") == "constant" {
                let type = s.facts(ofInput: 0)?.type ?? P.float
                inputs.append(constant(&s, P.floatScalar(type: type, Double(value)), suffix: "constant_value"))
            }
            s.node.input = inputs
            note("Pad → 11: pads/value attributes → inputs")
        case ("ReduceSum", 13), ("ReduceMean", 18), ("ReduceMax", 18), ("ReduceMin", 18), ("ReduceProd", 18),
             ("ReduceL1", 18), ("ReduceL2", 18), ("ReduceLogSum", 18), ("ReduceLogSumExp", 18), ("ReduceSumSquare", 18),
             ("Squeeze", 13), ("Unsqueeze", 13):
            if let axes = P.ints(s.node, "axes") {
                P.removeAttr(&s.node, "axes")
                s.node.input = [s.node.input[0], constant(&s, int64s(axes), suffix: "axes")]
                note("\(op) → \(v): 'axes' attribute → input")
            } else if op == "Unsqueeze" {
                throw error(s, "Unsqueeze without the required 'axes' attribute")
            }
        case ("Split", 13):
            if let split = P.ints(s.node, "split") {
                P.removeAttr(&s.node, "split")
                s.node.input = [s.node.input[0], constant(&s, int64s(split), suffix: "split")]
                note("Split → 13: 'split' attribute → input")
            }
        case ("Split", 18):
            if s.node.input.count < 2 || s.node.input[1].isEmpty {
                P.setAttr(&s.node, P.intAttr("num_outputs", s.node.output.count))
                note("Split → 18: equal split given as num_outputs")
            }
        case ("Softmax", 13), ("LogSoftmax", 13), ("Hardmax", 13):
            softmax11to13(&s, op: op)
        case ("RoiAlign", 16):
            if P.attr(s.node, "coordinate_transformation_mode") == nil {
                P.setAttr(&s.node, P.stringAttr("coordinate_transformation_mode", "output_half_pixel"))
                note("RoiAlign → 16: coordinate_transformation_mode 'output_half_pixel' (the old behaviour) set")
            }
        case ("GridSample", 20):
            let mode = P.string(s.node, "mode") ?? "bilinear"
            let renamed = ["bilinear": "linear", "bicubic": "cubic"][mode] ?? mode
            P.setAttr(&s.node, P.stringAttr("mode", renamed))
            if renamed != mode { note("GridSample → 20: mode '\(mode)' renamed '\(renamed)'") }
        case ("GroupNormalization", 21):
            groupNormalization18to21(&s)
        case ("DFT", 20):
            let axis = P.int(s.node, "axis") ?? 1
            P.removeAttr(&s.node, "axis")
            var inputs = s.node.input
            while inputs.count < 2 { inputs.append("") }
            inputs = Array(inputs.prefix(2)) + [constant(&s, P.int64s(dims: [], [Int64(axis)]), suffix: "axis")]
            s.node.input = inputs
            note("DFT → 20: 'axis' attribute → input")
        case ("Scan", 9):
            throw error(s, "Scan-8 (batched, with sequence_lens) has no direct equivalent in Scan-9; re-export the model")
        case ("Erf", 13):
            if let t = s.facts(ofInput: 0)?.type, !P.isFloatingPoint(t) {
                throw error(s, "Erf-13 no longer accepts \(P.typeName(t)) inputs")
            }
        case ("ReduceLogSum", 28), ("ReduceLogSumExp", 28):
            if let t = s.facts(ofInput: 0)?.type, !P.isFloatingPoint(t) {
                throw error(s, "\(op)-28 no longer accepts \(P.typeName(t)) inputs")
            }
        default:
            break
        }
    }

    private func int64s(_ v: [Int]) -> Onnx_TensorProto { P.int64s(dims: [v.count], v.map(Int64.init)) }

    /// Drops optional outputs past `keep` when nothing reads them; errors naming the node otherwise.
    private mutating func dropUnusedOutputs(_ s: inout ONNXOpsetUpgrade.Step, keep: Int, why: String) throws {
        guard s.node.output.count > keep else { return }
        let extra = s.node.output[keep...].filter { !$0.isEmpty }
        if let read = extra.first(where: isUsed) {
            throw error(s, "output '\(read)' is read by the graph, but \(why)")
        }
        s.node.output = Array(s.node.output.prefix(keep))
        if !extra.isEmpty { note("\(s.node.opType): unused optional outputs removed (\(why))") }
    }

    /// Softmax / LogSoftmax / Hardmax before 13 flatten the input to 2-D at `axis` (default 1) and normalize each
    /// row; from 13 they normalize along `axis` only (default −1). Equal when `axis` is the last axis; otherwise
    /// the old semantics are kept exactly with Flatten(axis) → op(axis=−1) → Reshape(Shape(x)).
    private mutating func softmax11to13(_ s: inout ONNXOpsetUpgrade.Step, op: String) {
        let axis = P.int(s.node, "axis") ?? 1
        let rank = s.facts(ofInput: 0)?.rank
        if axis == -1 || rank.map({ axis == $0 - 1 }) == true {
            P.setAttr(&s.node, P.intAttr("axis", axis))
            note("\(op) → 13: axis \(axis) is the last axis, semantics unchanged")
            return
        }
        let x = s.node.input[0], y = s.node.output[0]
        let shape = names.fresh(s.base + "_input_shape")
        let flat = names.fresh(s.base + "_flattened")
        let inner = names.fresh(y + "_2d")
        s.before.append(P.node("Shape", [x], [shape], name: names.fresh(s.base + "_Shape")))
        s.before.append(P.node("Flatten", [x], [flat], name: names.fresh(s.base + "_Flatten"),
                               attributes: [P.intAttr("axis", axis)]))
        s.node.input[0] = flat
        s.node.output[0] = inner
        P.setAttr(&s.node, P.intAttr("axis", -1))
        s.after.append(P.node("Reshape", [inner, shape], [y], name: names.fresh(s.base + "_Reshape")))
        note("\(op) → 13: axis \(axis) is not the last axis; old 2-D semantics kept with Flatten/Reshape")
    }

    /// Resize-10 (and Upsample) map output to input coordinates as `x / scale` ('asymmetric') and, for nearest,
    /// ONNX Runtime rounds down when upsampling and up when downsampling. Resize-11 adds the `roi` input and makes
    /// both choices attributes, so they are set explicitly.
    private mutating func resize10to11(_ s: inout ONNXOpsetUpgrade.Step) throws {
        guard s.node.input.count >= 2 else { throw error(s, "Resize-10 needs the 'scales' input") }
        let mode = P.string(s.node, "mode") ?? "nearest"
        P.setAttr(&s.node, P.stringAttr("coordinate_transformation_mode", "asymmetric"))
        if mode == "nearest" {
            var rounding = "floor"
            if let t = s.facts(ofInput: 1)?.constant, let scales = P.floatValues(t) {
                let up = scales.contains { $0 > 1 }, down = scales.contains { $0 < 1 }
                if up && down {
                    throw error(s, "nearest Resize-10 that upsamples some axes and downsamples others rounds each way "
                                + "differently; Resize-11 has one nearest_mode")
                }
                if down { rounding = "ceil" }
            } else if !s.fromUpsample {
                throw error(s, "nearest Resize-10 with non-constant scales: cannot tell whether it upsamples (floor) or "
                            + "downsamples (ceil)")
            }
            P.setAttr(&s.node, P.stringAttr("nearest_mode", rounding))
        }
        let roi = constant(&s, P.floats(dims: [0], []), suffix: "roi")
        s.node.input = [s.node.input[0], roi, s.node.input[1]]
        note("Resize → 11: roi input added, coordinate_transformation_mode 'asymmetric'\(mode == "nearest" ? " and nearest_mode set" : "")")
    }

    /// GroupNormalization-18 takes one scale/bias per group, 21 one per channel: each value is repeated C/G
    /// times (C read from the input's shape at run time), as the ONNX version converter does.
    private mutating func groupNormalization18to21(_ s: inout ONNXOpsetUpgrade.Step) {
        let groups = P.int(s.node, "num_groups") ?? 1
        let x = s.node.input[0]
        let c = names.fresh(s.base + "_channels")
        s.before.append(P.node("Shape", [x], [c], name: names.fresh(s.base + "_Shape"),
                               attributes: [P.intAttr("start", 1), P.intAttr("end", 2)]))
        let g = constant(&s, P.int64s(dims: [1], [Int64(groups)]), suffix: "num_groups")
        let perGroup = names.fresh(s.base + "_channels_per_group")
        s.before.append(P.node("Div", [c, g], [perGroup], name: names.fresh(s.base + "_Div")))
        let one = constant(&s, P.int64s(dims: [1], [1]), suffix: "one")
        let expandShape = names.fresh(s.base + "_expand_shape")
        s.before.append(P.node("Concat", [one, perGroup], [expandShape], name: names.fresh(s.base + "_Concat"),
                               attributes: [P.intAttr("axis", 0)]))
        let column = constant(&s, P.int64s(dims: [2], [-1, 1]), suffix: "column")
        let flat = constant(&s, P.int64s(dims: [1], [-1]), suffix: "flat")
        for i in [1, 2] where i < s.node.input.count {
            let v = s.node.input[i]
            let r0 = names.fresh(v + "_per_group"), e = names.fresh(v + "_expanded"), r1 = names.fresh(v + "_per_channel")
            s.before.append(P.node("Reshape", [v, column], [r0], name: names.fresh(s.base + "_Reshape")))
            s.before.append(P.node("Expand", [r0, expandShape], [e], name: names.fresh(s.base + "_Expand")))
            s.before.append(P.node("Reshape", [e, flat], [r1], name: names.fresh(s.base + "_Reshape")))
            s.node.input[i] = r1
        }
        if let t = s.facts(ofInput: 0)?.type { P.setAttr(&s.node, P.intAttr("stash_type", Int(t))) }
        note("GroupNormalization → 21: per-group scale/bias expanded to per-channel")
    }
}
