import Foundation
import PareBasics
import PareFormats
import ParePasses
import PareRecipe
import PareTensor

/// Turns a recipe and its target profiles into a build plan, checking at plan time everything that can be
/// checked before compute: target support, block sizes that must divide rows, overlapping encodings, memory budgets.
public enum Planner {
    /// Loads the recipe and targets, validates everything, and plans. Throws `DiagnosticError` with every problem.
    /// - Parameters:
    ///   - only: restrict to these targets (`--target`); each must be one of the recipe's targets.
    ///   - targetsDirectory: the profiles folder; default: found by walking up from the recipe.
    public static func plan(recipePath: String, only: [String] = [], targetsDirectory: String? = nil) throws -> BuildPlan {
        guard let dir = targetsDirectory ?? TargetCatalog.locate(forRecipe: recipePath) else {
            throw DiagnosticError(.error("no targets/ folder found above \(recipePath); pass --targets DIR", at: SourceLocation(file: recipePath)))
        }
        // Errors in target profiles and in the recipe are reported together.
        var bag = DiagnosticBag()
        var catalog: [String: TargetProfile]?
        do { catalog = try TargetCatalog.load(directory: dir) } catch let e as DiagnosticError { bag.append(contentsOf: e.diagnostics) }
        var recipe: Recipe?
        do { recipe = try RecipeLoader.load(path: recipePath, knownTargets: catalog.map { Array($0.keys) }) } catch let e as DiagnosticError {
            bag.append(contentsOf: e.diagnostics)
        }
        guard let recipe, let catalog, !bag.hasErrors else { throw DiagnosticError(bag.diagnostics) }
        return try plan(recipe: recipe, catalog: catalog, only: only)
    }

    public static func plan(recipe: Recipe, catalog: [String: TargetProfile], only: [String] = []) throws -> BuildPlan {
        var recipe = recipe
        var bag = DiagnosticBag()
        bag.append(contentsOf: TargetCheck.check(recipe: recipe, targets: catalog))
        let recipeTargets = recipe.targets.map(\.value)
        for t in only where !recipeTargets.contains(t) {
            bag.error("--target \(t) is not a target of recipe '\(recipe.name)'\(Suggestion.hint(for: t, in: recipeTargets)); its targets are \(recipeTargets.joined(separator: ", "))",
                      at: SourceLocation(file: recipe.file))
        }
        let header = readHeader(recipe.model, bag: &bag)
        // The recipe decoder reports external_data against a format the recipe names; this one is known from the content.
        if let header, recipe.bundle.resolvedFormat(model: recipe.model) == nil,
           let message = recipe.bundle.externalDataProblem(bundleFormat: ModelFormatChoice(rawValue: header.format.rawValue) ?? .auto) {
            bag.error(message, at: recipe.bundle.externalDataLocation)
        }
        try bag.throwIfErrors()
        guard let header else { throw DiagnosticError(bag.diagnostics) }

        let chosen = recipe.targets.filter { only.isEmpty || only.contains($0.value) }
        let profiles = chosen.compactMap { catalog[$0.value] }
        bag.append(contentsOf: recipe.resolveActivations(targets: profiles))
        try bag.throwIfErrors()
        checkGraphNeeds(recipe: recipe, header: header, bag: &bag)
        checkData(recipe: recipe, targets: profiles.map(\.id), header: header, bag: &bag)
        for (t, profile) in zip(chosen, profiles) {
            checkAgainstModel(recipe: recipe, target: t, profile: profile, header: header, bag: &bag)
        }
        try bag.throwIfErrors()

        return BuildPlan(recipe: recipe, targets: profiles, steps: buildSteps(recipe: recipe, targets: profiles.map(\.id)), sourceHeader: header)
    }

    /// Reads the model's header (cheap) or reports why it cannot be read.
    static func readHeader(_ model: ModelSpec, bag: inout DiagnosticBag) -> ModelHeader? {
        guard FileStat.exists(model.path) else {
            bag.error("model file \(model.givenPath) does not exist (resolved to \(model.path)); check `model.path` — it is relative to the recipe's folder", at: model.location)
            return nil
        }
        do {
            let detected = try ModelFileFormat.detect(path: model.path)
            let wanted: ModelFileFormat?
            switch model.format {
            case .auto: wanted = detected
            case .safetensors: wanted = .safetensors
            case .onnx: wanted = .onnx
            case .gguf: wanted = .gguf
            }
            guard let format = wanted else {
                bag.error("cannot tell the format of \(model.givenPath) from its content; pare reads safetensors and ONNX models", at: model.location)
                return nil
            }
            if let detected, detected != format {
                bag.error("\(model.givenPath) looks like \(detected.rawValue), not \(format.rawValue) as `format:` says", at: model.location)
                return nil
            }
            return try ModelHeader.read(path: model.path, format: format)
        } catch {
            bag.error("\(error)", at: model.location)
            return nil
        }
    }

    /// Plan-time checks that need the model's tensor table.
    static func checkAgainstModel(recipe: Recipe, target: Located<String>, profile: TargetProfile, header: ModelHeader, bag: inout DiagnosticBag) {
        let passes = recipe.passes(for: target.value)
        var encodedBy: [String: PassSpec] = [:]
        var prunedBy: [String: PassSpec] = [:]
        var finalBytes: [String: Int] = [:]
        for t in header.tensors { finalBytes[t.name] = t.byteCount }
        var reported = Set<String>()
        func once(_ key: String, _ d: Diagnostic) {
            if reported.insert(key).inserted { bag.append(d) }
        }
        for spec in passes {
            if case .cast(let c) = spec.config, c.compute == .float16 {
                let at = spec.fieldLocations["compute"] ?? spec.location
                if header.format != .onnx {
                    once("compute:\(spec.index)", .error(
                        "compute: float16 changes what an ONNX graph computes in; \(recipe.model.givenPath) is a \(header.format.rawValue) model (weights only) — drop compute",
                        at: at))
                } else if !profile.activations.dtypes.contains("fp16") {
                    bag.append(.error(
                        "compute: float16 but target '\(profile.id)' runs activations only in \(profile.activations.dtypes.joined(separator: ", ")); drop compute or set it per target",
                        at: at, notes: [.note("activations.dtypes of \(profile.id)", at: profile.fieldLocations["activations.dtypes"] ?? SourceLocation(file: profile.file))]))
                }
            }
            let selection = spec.config.selection
            for t in header.tensors where t.dtype.isFloatingPoint && selection.selects(name: t.name, dims: t.shape.dims) {
                let (rows, cols) = header.matrix(of: t)
                let n = t.shape.elementCount ?? 0
                switch spec.config {
                case .quantize(let q):
                    guard let scheme = q.scheme(for: t.name) else { continue }
                    // Weights palettize / gptq / mixed-precision encoded are left as they are (not re-quantized), unless
                    // `requantize` asks for palettized ones.
                    if let prev = encodedBy[t.name], prev.config.keepsEncodingFromLaterPasses {
                        guard q.requantize, case .palettize = prev.config else { continue }
                        encodedBy[t.name] = nil
                    }
                    if scheme.granularity == .perGroup, cols % scheme.group != 0 {
                        let field = q.overrideIndex(for: t.name).map { "overrides[\($0)].weights.group" } ?? "weights.group"
                        once("group:\(spec.index):\(t.name)", .error(
                            "group \(scheme.group) does not divide the row length \(cols) of tensor '\(t.name)' (shape \(t.shape)); choose a group that divides it or exclude the tensor",
                            at: spec.fieldLocations[field] ?? spec.location))
                    }
                    if let prev = encodedBy[t.name] {
                        once("overlap:\(spec.index):\(prev.index)", .error(
                            "tensor '\(t.name)' is selected by both '\(prev.id)' and '\(spec.id)'; a weight is encoded once — add an `exclude:` to one of them",
                            at: spec.location, notes: [.note("'\(prev.id)' is here", at: prev.location)]))
                    }
                    if scheme.fit == .mse, !scheme.symmetric, let pruner = prunedBy[t.name] {
                        let field = q.overrideIndex(for: t.name).map { "overrides[\($0)].weights.fit" } ?? "weights.fit"
                        once("fitzeros:\(spec.index):\(t.name)", .error(
                            "'\(spec.id)' quantizes tensor '\(t.name)' with fit: mse and symmetric: false, whose fractional zero points do not keep the zeros '\(pruner.id)' made; use symmetric: true or fit: minmax for pruned tensors",
                            at: spec.fieldLocations[field] ?? spec.location, notes: [.note("'\(pruner.id)' is here", at: pruner.location)]))
                    }
                    encodedBy[t.name] = spec
                    finalBytes[t.name] = QuantizePass.storedBytes(rows: rows, cols: cols, spec: scheme)
                case .cast:
                    if let prev = encodedBy[t.name], prev.config.keepsEncodingFromLaterPasses { continue }
                    if let prev = encodedBy[t.name] {
                        once("overlap:\(spec.index):\(prev.index)", .error(
                            "tensor '\(t.name)' is selected by both '\(prev.id)' and '\(spec.id)'; a weight is encoded once — add an `exclude:` to one of them",
                            at: spec.location, notes: [.note("'\(prev.id)' is here", at: prev.location)]))
                    }
                    encodedBy[t.name] = spec
                    finalBytes[t.name] = n * 2
                case .palettize, .gptq, .mixedPrecision, .lowrank, .fold, .distill:
                    checkCatalog(spec, tensor: t, header: header, recipe: recipe, encodedBy: &encodedBy, finalBytes: &finalBytes, once: once)
                case .prune(let p) where p.structure == .channels:
                    checkCatalog(spec, tensor: t, header: header, recipe: recipe, encodedBy: &encodedBy, finalBytes: &finalBytes, once: once)
                    if let prev = encodedBy[t.name] {
                        once("order:\(spec.index):\(t.name)", .error(
                            "'\(spec.id)' prunes tensor '\(t.name)' after '\(prev.id)' encoded it; move the prune pass before it",
                            at: spec.location))
                    }
                case .prune(let p):
                    prunedBy[t.name] = spec
                    // N:M groups run along the first-axis matrix view (as the prune kernel sees the tensor).
                    if let pattern = p.pattern, t.shape.matrix.cols % pattern.m != 0 {
                        once("nm:\(spec.index):\(t.name)", .error(
                            "N:M pattern \(pattern) needs rows whose length is a multiple of \(pattern.m), but tensor '\(t.name)' has rows of \(t.shape.matrix.cols) (shape \(t.shape)); exclude it",
                            at: spec.fieldLocations["pattern"] ?? spec.location))
                    }
                    if let prev = encodedBy[t.name] {
                        once("order:\(spec.index):\(t.name)", .error(
                            "'\(spec.id)' prunes tensor '\(t.name)' after '\(prev.id)' encoded it; move the prune pass before it",
                            at: spec.location))
                    }
                }
            }
        }
        let budget = Int(profile.memoryMB * 1024 * 1024)
        let total = finalBytes.values.reduce(0, +)
        if budget > 0, total > budget {
            bag.append(.error(
                "the model is \(ByteCount.format(total)) after its passes, over the \(ByteCount.format(budget)) memory budget of target '\(profile.id)'; compress it further (e.g. int4) or drop the target",
                at: target.location,
                notes: [.note("memory_mb of \(profile.id)", at: profile.fieldLocations["memory_mb"] ?? SourceLocation(file: profile.file))]))
        }
    }

    /// Builds the DAG: one chain import → passes → [evaluate] → bundle per target, with identical prefixes shared.
    /// A quantize pass with calibrated activations reads a calibrate step that runs the calibration data through the
    /// model as it is at that point (shared by every target whose chain is the same up to there).
    static func buildSteps(recipe: Recipe, targets: [String]) -> [BuildStep] {
        var steps = [BuildStep(id: "import", kind: .importModel, pass: nil, targets: targets, inputs: [])]
        var index: [String: Int] = [:] // identity of a step → its index
        var tails: [String: Int] = [:]
        func shared(_ identity: String, _ target: String, make: () -> BuildStep) -> Int {
            if let i = index[identity] {
                steps[i].targets.append(target)
                return i
            }
            steps.append(make())
            index[identity] = steps.count - 1
            return steps.count - 1
        }
        for t in targets {
            var parent = 0
            var identity = "import"
            for spec in recipe.passes(for: t) {
                var inputs = [parent]
                if case .quantize(let q) = spec.config, q.activations?.calibrated != nil {
                    let p = parent
                    inputs.append(shared(identity + "|calibrate:\(spec.id)", t) {
                        BuildStep(id: "calibrate-\(spec.id)", kind: .calibrate, pass: spec, targets: [t], inputs: [p])
                    })
                }
                let config = (try? CanonicalJSON.encode(spec.config)).map { String(decoding: $0, as: UTF8.self) } ?? ""
                identity += "|\(spec.index):\(spec.id):\(config)"
                parent = shared(identity, t) { BuildStep(id: spec.id, kind: .pass, pass: spec, targets: [t], inputs: inputs) }
            }
            tails[t] = parent
        }
        let evaluates = recipe.data.evaluation != nil || !recipe.gates.isEmpty
        for t in targets {
            var last = tails[t]!
            if evaluates {
                steps.append(BuildStep(id: "evaluate@\(t)", kind: .evaluate, pass: nil, targets: [t], inputs: [last]))
                last = steps.count - 1
            }
            steps.append(BuildStep(id: "bundle@\(t)", kind: .bundle, pass: nil, targets: [t], inputs: [last]))
        }
        // Steps not shared by every target carry their targets in the id.
        for i in steps.indices where (steps[i].kind == .pass || steps[i].kind == .calibrate) && steps[i].targets.count < targets.count {
            steps[i].id += "@" + steps[i].targets.joined(separator: "+")
        }
        return steps
    }
}
