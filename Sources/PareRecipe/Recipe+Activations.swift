import PareBasics

extension Recipe {
    /// Resolves every `activations:` of the chosen targets' quantize passes against each target profile (the `auto`
    /// type and symmetry, what `fragile: keep` means there) and checks the result runs on the target. Resolved
    /// pass lists replace the target's passes (so plan, keys and bundles see concrete values). Returns the problems.
    public mutating func resolveActivations(targets: [TargetProfile]) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for profile in targets {
            var passes = self.passes(for: profile.id)
            var changed = false
            for i in passes.indices {
                guard case .quantize(var q) = passes[i].config, let a = q.activations else { continue }
                let spec = passes[i]
                let at = spec.location(of: "activations")
                let note = Diagnostic.note("activations of \(profile.id)", at: profile.location(of: "activations.dtypes", "activations"))
                switch a {
                case .dynamic:
                    if profile.activations.staticOnly {
                        out.append(.error("'\(spec.id)' asks for activations: dynamic, but target '\(profile.id)' runs only calibrated (static) activation scales; "
                                          + "give the pass calibrated activations (e.g. activations: { dtype: auto }) for this target in per_target",
                                          at: at, notes: [.note("static_only of \(profile.id)", at: profile.location(of: "activations.static_only", "activations"))]))
                    } else if !profile.activations.dtypes.contains("uint8") {
                        out.append(.error("'\(spec.id)' asks for activations: dynamic (uint8 activations), but target '\(profile.id)' does not run uint8 activations",
                                          at: at, notes: [note]))
                    }
                case .calibrated(var c):
                    let runs = Set(profile.activations.dtypes)
                    let wantSymmetric = c.symmetric == true || profile.activations.symmetricOnly
                    if c.dtype == .auto {
                        let order: [ActivationDType] = wantSymmetric ? [.int8, .uint8] : [.uint8, .int8]
                        guard let d = order.first(where: { runs.contains($0.rawValue) }) else {
                            out.append(.error("target '\(profile.id)' runs no 8-bit integer activations (it runs \(profile.activations.dtypes.joined(separator: ", "))); "
                                              + "set activations.dtype explicitly (e.g. uint16) or drop activations for this target in per_target",
                                              at: at, notes: [note]))
                            continue
                        }
                        c.dtype = d
                    } else if !runs.contains(c.dtype.rawValue) {
                        out.append(.error("activations.dtype \(c.dtype.rawValue) is not run by target '\(profile.id)' (it runs \(profile.activations.dtypes.joined(separator: ", "))); "
                                          + "choose one of those or set it per target", at: at, notes: [note]))
                        continue
                    }
                    if c.symmetric == false && profile.activations.symmetricOnly {
                        out.append(.error("activations.symmetric is false, but target '\(profile.id)' needs symmetric activations (zero point 0); remove it or set it to true",
                                          at: at, notes: [.note("symmetric_only of \(profile.id)", at: profile.location(of: "activations.symmetric_only", "activations"))]))
                        continue
                    }
                    // int16 activations are symmetric wherever they exist (TFLite's 16x8 mode).
                    c.symmetric = c.symmetric ?? (profile.activations.symmetricOnly || c.dtype == .int16)
                    let floatOK = runs.contains("fp32") || runs.contains("fp16")
                    switch c.fragile {
                    case .quantize:
                        c.fragilePrecision = ActivationPrecision(rawValue: c.dtype.rawValue)
                    case .keep:
                        if let wide = c.dtype.wider(among: runs) { c.fragilePrecision = ActivationPrecision(rawValue: wide.rawValue) }
                        else if floatOK { c.fragilePrecision = .float }
                        else { c.fragilePrecision = ActivationPrecision(rawValue: c.dtype.rawValue) }
                    }
                    for o in c.overrides {
                        let ok = o.precision == .float ? floatOK : runs.contains(o.precision.rawValue)
                        if !ok {
                            out.append(.error("an activation override asks for \(o.precision.rawValue), which target '\(profile.id)' does not run "
                                              + "(it runs \(profile.activations.dtypes.joined(separator: ", "))); change it or set it per target",
                                              at: at, notes: [note]))
                        }
                    }
                    q.activations = .calibrated(c)
                    passes[i].config = .quantize(q)
                    changed = true
                }
            }
            if changed { perTargetPasses[profile.id] = passes }
        }
        return out
    }
}
