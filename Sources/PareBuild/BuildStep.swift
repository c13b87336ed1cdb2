import PareRecipe

/// A node of the build plan.
public struct BuildStep: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, Codable { case importModel = "import", pass, calibrate, evaluate, bundle }

    /// Stable, human-readable id: `import`, `<pass id>` when every planned target shares the step,
    /// `<pass id>@<target>+<target>` otherwise, `calibrate-<pass id>` (same suffix rule), `evaluate@<target>` and
    /// `bundle@<target>`.
    public var id: String
    public var kind: Kind
    /// The pass, resolved for the targets of this step (pass steps; calibrate steps: the quantize pass they feed).
    public var pass: PassSpec?
    /// The targets whose chains include this step.
    public var targets: [String]
    /// Indices of the steps this one consumes: the model first; a quantize pass with calibrated activations also
    /// reads its calibrate step (second).
    public var inputs: [Int]

    /// The pass name, or the step kind for built-in steps.
    public var actionName: String { kind == .pass ? (pass?.config.passName ?? "pass") : kind.rawValue }
}
