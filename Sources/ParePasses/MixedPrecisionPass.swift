import PareBasics
import PareFormats
import PareKernels
import PareRecipe
import PareRuntime

/// `mixed-precision`: one bit width per selected weight among the candidates (4 = int4 per-group symmetric,
/// 8 = int8 per-channel symmetric, 16 = float16), chosen from measured sensitivity to meet the budget with the
/// smallest summed predicted loss.
///
/// Sensitivity: for each weight and candidate, the model with that weight alone in the candidate's stored form
/// (the exact record `quantize` / `cast` would write; every other weight float) runs on up to `samples` (default 16)
/// calibration samples; the loss is the mean over samples and float graph outputs of 1 − cosine(y, ŷ) against the
/// float model (per-weight losses are assumed additive). Bytes are the candidate record's stored bytes (codes,
/// scales, zero points).
///
/// Budget: `max_size_mb` bounds all tensors as stored (MiB, the untouched ones included); `bits_per_weight` bounds
/// 8 · Σ chosen bytes / Σ elements over the selected weights. Choice: exact multiple-choice knapsack by a Pareto
/// dynamic program over (bytes, loss) — each weight extends every non-dominated partial choice, dominated and
/// over-budget states are dropped — so the result is the minimum summed loss, not a greedy approximation. Ties:
/// fewer bytes, then lower candidate widths in weight order. An unreachable budget is an error giving the
/// smallest reachable size.
public struct MixedPrecisionPass: ModelPass {
    public static let name = "mixed-precision"
    public static let version = 1
    public let id: String
    public let config: MixedPrecisionConfig

    public init(id: String, config: MixedPrecisionConfig) {
        self.id = id
        self.config = config
    }

    struct Option {
        var bits: Int
        var record: TensorRecord
        var bytes: Int
        var loss: Double
    }

    public func run(_ model: ModelArtifact, context: ModelPassContext) throws -> ModelPassOutput {
        guard !context.samples.isEmpty else {
            throw PassError(model: context.modelName, message: "mixed-precision needs calibration samples: add data.calibration to the recipe")
        }
        let samples = Array(context.samples.prefix(config.samples ?? 16))
        let tc = context.tensorContext
        let axes = try tc.channelAxes(model)
        let reference = try context.open(model)
        let floatOutputs = try samples.map { try reference.run($0) }
        let selected = model.tensors.indices.filter { model.tensors[$0].isSelected(by: config.selection) }
        guard !selected.isEmpty else {
            throw PassError(model: context.modelName, message: "mixed-precision selects no float weight; check 'include' / 'exclude'")
        }
        // Measure every (weight, candidate).
        var options: [[Option]] = []
        for i in selected {
            let t = model.tensors[i]
            let axis = axes[t.name] ?? 0
            let (outer, _, inner) = Layout.split(t.shape.dims, axis: axis)
            var row: [Option] = []
            for bits in config.candidates.sorted() {
                let rec: TensorRecord
                if let spec = config.scheme(bits: bits) {
                    if spec.granularity == .perGroup && (outer * inner) % spec.group != 0 { continue }
                    rec = try QuantizePass(id: id, config: QuantizeConfig()).apply(t, parameters: .quantize(spec, axis: axis), context: tc)
                } else {
                    rec = try CastPass(id: id, config: CastConfig(dtype: .fp16)).apply(t, parameters: .cast(.fp16), context: tc)
                }
                var trial = model
                trial.tensors[i] = rec
                let interp = try context.open(trial)
                var loss = 0.0, count = 0
                for (s, sample) in samples.enumerated() {
                    let y = try interp.run(sample)
                    for name in floatOutputs[s].keys.sorted() {
                        guard let a = floatOutputs[s][name], a.dtype == .float32, let b = y[name] else { continue }
                        loss += 1 - MixedPrecisionPass.cosine(a.asFloats, b.asFloats)
                        count += 1
                    }
                }
                row.append(Option(bits: bits, record: rec, bytes: rec.storedBytes, loss: count > 0 ? loss / Double(count) : 0))
            }
            guard !row.isEmpty else {
                throw PassError(tensor: t.name, message: "no mixed-precision candidate applies (group \(config.group) does not divide its rows); exclude it or add 8 / 16 to candidates")
            }
            options.append(row)
        }
        // The byte cap on the chosen records.
        let selectedSet = Set(selected)
        let fixed = model.tensors.indices.filter { !selectedSet.contains($0) }.reduce(0) { $0 + model.tensors[$1].storedBytes }
        let elements = selected.reduce(0) { $0 + model.tensors[$1].shape.dims.reduce(1, *) }
        let cap: Int
        switch config.budget {
        case .maxSizeMB(let mb): cap = Int((mb * 1048576).rounded(.down)) - fixed
        case .bitsPerWeight(let b): cap = Int((b * Double(elements) / 8).rounded(.down))
        }
        let minimum = options.reduce(0) { $0 + $1.map(\.bytes).min()! }
        guard minimum <= cap else {
            let what: String
            switch config.budget {
            case .maxSizeMB(let mb):
                what = String(format: "max_size_mb %.4f is below the smallest reachable size %.4f MiB (%d bytes, every selected weight at its smallest candidate, %d bytes of other tensors); raise the budget, add 4 to candidates or select more weights",
                              mb, Double(minimum + fixed) / 1048576, minimum + fixed, fixed)
            case .bitsPerWeight(let b):
                what = String(format: "bits_per_weight %.3f is below the smallest reachable %.3f bits per weight (scales included); raise the budget or add 4 to candidates",
                              b, Double(minimum) * 8 / Double(elements))
            }
            let at = context.spec.map { " (\($0.location(of: "max_size_mb", "bits_per_weight")))" } ?? ""
            throw PassError(model: context.modelName, message: "mixed-precision: " + what + at)
        }
        let choice = MixedPrecisionPass.choose(options.map { $0.map { ($0.bytes, $0.loss) } }, cap: cap)
        var out = model
        var rows: [LayerChange] = []
        var chosenBytes = 0, predicted = 0.0
        for (k, i) in selected.enumerated() {
            let o = options[k][choice[k]]
            out.tensors[i] = o.record
            chosenBytes += o.bytes
            predicted += o.loss
            let n = model.tensors[i].shape.dims.reduce(1, *)
            let action = o.bits == 16 ? "fp16" : GPTQPass.describe(config.scheme(bits: o.bits)!)
            rows.append(LayerChange(layer: model.tensors[i].name, action: action, parametersBefore: n, parametersAfter: n, errorAfter: o.loss))
        }
        let params = model.tensors.reduce(0) { $0 + ($1.dtype.isFloatingPoint || $1.quant != nil ? $1.shape.dims.reduce(1, *) : 0) }
        let notes = [
            "errorAfter: predicted loss, mean 1 − cosine of the model outputs with that weight alone at the chosen width, on \(samples.count) calibration samples",
            String(format: "chosen: %d bytes for %d weights (%.3f bits per weight, scales included); model %d bytes (%.4f MiB); budget cap %d bytes for the selected weights; summed predicted loss %.6g",
                   chosenBytes, selected.count, Double(chosenBytes) * 8 / Double(elements), chosenBytes + fixed, Double(chosenBytes + fixed) / 1048576, cap, predicted),
            "widths: " + config.candidates.sorted().map { b in "\(b): \(rows.indices.filter { options[$0][choice[$0]].bits == b }.count)" }.joined(separator: ", "),
        ]
        let report = PassReport(pass: Self.name, id: id, layers: rows, parametersBefore: params, parametersAfter: params, notes: notes)
        return ModelPassOutput(artifact: out, report: report)
    }

    /// cos(a, b) in float64; 1 when both are zero, 0 when only one is.
    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var ab = 0.0, aa = 0.0, bb = 0.0
        for i in 0..<min(a.count, b.count) {
            let x = Double(a[i]), y = Double(b[i])
            ab += x * y; aa += x * x; bb += y * y
        }
        if aa == 0 && bb == 0 { return 1 }
        if aa == 0 || bb == 0 { return 0 }
        return ab / (aa.squareRoot() * bb.squareRoot())
    }

    /// Exact multiple-choice knapsack: for each item one option (bytes, loss), Σ bytes ≤ cap, minimum Σ loss.
    /// Pareto DP over states sorted by bytes; a state is kept only if its loss is below every cheaper state's.
    /// The caller guarantees a feasible choice exists. Returns the option index per item.
    static func choose(_ items: [[(bytes: Int, loss: Double)]], cap: Int) -> [Int] {
        struct State { var bytes: Int; var loss: Double; var picks: [Int] }
        var states = [State(bytes: 0, loss: 0, picks: [])]
        for options in items {
            var next: [State] = []
            for s in states {
                for (k, o) in options.enumerated() where s.bytes + o.bytes <= cap {
                    next.append(State(bytes: s.bytes + o.bytes, loss: s.loss + o.loss, picks: s.picks + [k]))
                }
            }
            next.sort { a, b in
                if a.bytes != b.bytes { return a.bytes < b.bytes }
                if a.loss != b.loss { return a.loss < b.loss }
                return a.picks.lexicographicallyPrecedes(b.picks)
            }
            states = []
            for s in next where states.isEmpty || s.loss < states[states.count - 1].loss { states.append(s) }
        }
        // The last state has the lowest loss (losses decrease along the frontier).
        return states[states.count - 1].picks
    }
}
