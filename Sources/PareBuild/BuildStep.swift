import PareRecipe

/// A node of the build plan.
public struct BuildStep: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, Codable { case importModel = "import", pass, bundle }

    /// Stable, human-readable id: `import`, `<pass id>` when every planned target shares the step,
    /// `<pass id>@<target>+<target>` otherwise, and `bundle@<target>`.
    public var id: String
    public var kind: Kind
    /// The pass, resolved for the targets of this step (pass steps only).
    public var pass: PassSpec?
    /// The targets whose chains include this step.
    public var targets: [String]
    /// Indices of the steps this one consumes (at most one for this steps).
    public var inputs: [Int]

    /// The pass name, or the step kind for built-in steps.
    public var actionName: String { pass?.config.passName ?? kind.rawValue }
}
