import PareBasics

/// Checks a recipe against the target profiles it names, before any compute.
public enum TargetCheck {
    /// Every problem at once: unknown target names (did you mean), and for each target × pass (with per_target merged),
    /// what the pass emits that the target cannot run: weight dtype not listed, granularity not listed, group size not
    /// listed, asymmetric on symmetric_only, cast dtype (fp16/bf16) not in weights.dtypes, bundle format not in
    /// formats. An N:M pattern the target does not accelerate is not an error (the weights are stored dense).
    /// Each diagnostic is located at the recipe field (in per_target if it came from there) and has a note located
    /// in the target file at the field that says what it supports, e.g.
    ///
    ///     recipes/a.yaml:12:24: error: quantize emits int4 weights but target 'google-edgetpu' runs only int8, uint8; ...
    ///     targets/google-edgetpu.yaml:6:11: note: weights.dtypes of google-edgetpu
    public static func check(recipe: Recipe, targets: [String: TargetProfile]) -> [Diagnostic] {
        var out: [Diagnostic] = []
        let known = targets.keys.sorted()
        for t in recipe.targets {
            guard let profile = targets[t.value] else {
                let hint = Suggestion.hint(for: t.value, in: known)
                let list = hint.isEmpty ? "; known targets: \(known.isEmpty ? "none" : known.joined(separator: ", "))" : ""
                out.append(.error("unknown target '\(t.value)'\(hint)\(list); each target needs a profile targets/<name>.yaml",
                                  at: t.location))
                continue
            }
            for pass in recipe.passes(for: profile.id) {
                switch pass.config {
                case .quantize(let q):
                    out += weights(q.weights, pass: pass, path: "weights", what: pass.label, profile: profile, onlyWritten: false)
                    for (i, o) in q.overrides.enumerated() where !o.skip {
                        let what = "\(pass.label) override \(i + 1) (match \(o.match.map(\.pattern).joined(separator: ", ")))"
                        out += weights(o.weights, pass: pass, path: "overrides[\(i)].weights", what: what, profile: profile,
                                       onlyWritten: true)
                    }
                case .cast(let c):
                    if !profile.weights.dtypes.contains(c.dtype.rawValue) {
                        out.append(.error("\(pass.label) emits \(c.dtype.rawValue) weights but target '\(profile.id)' runs only "
                                          + "\(profile.weights.dtypes.joined(separator: ", "))\(fix(pass, profile))",
                                          at: pass.location(of: "dtype"),
                                          notes: [note("weights.dtypes", profile)]))
                    }
                case .prune, .fold, .lowrank, .distill:
                    break // float weights, standard ops; unstructured sparsity is always allowed (stored dense)
                case .gptq(let g):
                    out += weights(g.weights, pass: pass, path: "weights", what: pass.label, profile: profile, onlyWritten: false)
                case .mixedPrecision(let m):
                    for bits in m.candidates {
                        let runs: Bool, what: String
                        if let scheme = m.scheme(bits: bits) {
                            what = scheme.summary
                            runs = weights(scheme, pass: pass, path: "candidates", what: "", profile: profile, onlyWritten: false).isEmpty
                        } else {
                            what = "fp16"
                            runs = profile.weights.dtypes.contains("fp16")
                        }
                        if !runs {
                            out.append(.error("\(pass.label) candidate \(bits) bits (\(what)) is not run by target '\(profile.id)'; remove it "
                                              + "from 'candidates'\(fix(pass, profile))",
                                              at: pass.location(of: "candidates"), notes: [note("weights", profile)]))
                        }
                    }
                case .palettize(let p):
                    if !profile.weights.lutBits.contains(p.bits) && !profile.weights.runsFloat {
                        let native = profile.weights.lutBits.isEmpty ? "has no native look-up-table weights"
                            : "runs look-up tables of \(profile.weights.lutBits.map(String.init).joined(separator: ", ")) bits"
                        out.append(.error("\(pass.label) emits \(p.bits)-bit palettized weights, but target '\(profile.id)' \(native) and does not "
                                          + "run float weights (which ONNX Runtime expands them to); use bits the target runs, or drop the pass "
                                          + "for this target", at: pass.location(of: "bits"), notes: [note("weights", profile)]))
                    }
                }
            }
            out += bundle(recipe, profile)
        }
        var seen = Set<Diagnostic>()
        return out.filter { seen.insert($0).inserted }
    }

    private static func note(_ field: String, _ profile: TargetProfile) -> Diagnostic {
        .note("\(field) of \(profile.id)", at: profile.location(of: field, field.split(separator: ".").first.map(String.init) ?? field))
    }

    private static func fix(_ pass: PassSpec, _ profile: TargetProfile) -> String {
        "; use one of those, or override it for this target under per_target: { \(profile.id): { \(pass.id): ... } }"
    }

    /// Checks one weight scheme. With `onlyWritten`, only fields written at `path` are judged (an override's
    /// inherited fields are judged with the pass's own scheme).
    private static func weights(_ w: WeightQuantSpec, pass: PassSpec, path: String, what: String, profile: TargetProfile,
                                onlyWritten: Bool) -> [Diagnostic] {
        func written(_ field: String) -> Bool { !onlyWritten || pass.fieldLocations["\(path).\(field)"] != nil }
        func at(_ field: String) -> SourceLocation { pass.location(of: "\(path).\(field)", path) }
        var out: [Diagnostic] = []
        let support = profile.weights
        if written("dtype"), !support.dtypes.contains(w.dtype.rawValue) {
            out.append(.error("\(what) emits \(w.dtype.rawValue) weights but target '\(profile.id)' runs only "
                              + "\(support.dtypes.joined(separator: ", "))\(fix(pass, profile))",
                              at: at("dtype"), notes: [note("weights.dtypes", profile)]))
        }
        if written("granularity"), !support.granularities.contains(w.granularity) {
            out.append(.error("\(what) emits \(w.granularity.rawValue) weights but target '\(profile.id)' runs only "
                              + "\(support.granularities.map(\.rawValue).joined(separator: ", "))\(fix(pass, profile))",
                              at: at("granularity"), notes: [note("weights.granularities", profile)]))
        } else if w.granularity == .perGroup, written("group") || written("granularity"),
                  !support.groupSizes.contains(w.group) {
            let field = pass.fieldLocations["\(path).group"] != nil ? "group" : "granularity"
            out.append(.error("\(what) emits per-group weights with group \(w.group) but target '\(profile.id)' runs only "
                              + "group sizes \(support.groupSizes.map(String.init).joined(separator: ", "))\(fix(pass, profile))",
                              at: at(field), notes: [note("weights.group_sizes", profile)]))
        }
        if written("symmetric"), !w.symmetric, support.symmetricOnly {
            out.append(.error("\(what) emits asymmetric weights but target '\(profile.id)' runs only symmetric weights "
                              + "(zero point 0); set symmetric: true, or override it for this target under per_target",
                              at: at("symmetric"), notes: [note("weights.symmetric_only", profile)]))
        }
        return out
    }

    private static func bundle(_ recipe: Recipe, _ profile: TargetProfile) -> [Diagnostic] {
        guard let format = recipe.bundle.resolvedFormat(model: recipe.model), !profile.formats.contains(format.rawValue) else {
            return []
        }
        let how = recipe.bundle.format == .auto ? "auto, the model's format: \(format.rawValue)" : format.rawValue
        return [.error("bundle format \(how) is not read by target '\(profile.id)', whose runtime reads only "
                       + "\(profile.formats.joined(separator: ", ")); set bundle.format to one of those",
                       at: recipe.bundle.location ?? recipe.model.location, notes: [note("formats", profile)])]
    }
}
