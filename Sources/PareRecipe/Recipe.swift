import PareBasics

/// A loaded and validated recipe: one product, its model, the targets to build for and the passes to run.
public struct Recipe: Sendable, Hashable {
    /// `recipe:`, matching `[a-z0-9][a-z0-9._-]*` (names `dist/<recipe>/`).
    public var name: String
    /// The recipe path as given by the user.
    public var file: String
    /// The recipe and every imported file (for hashing the recipe digest), recipe first, each once.
    public var sourceFiles: [String]
    /// The `model:` section.
    public var model: ModelSpec
    /// Target profile names, as written.
    public var targets: [Located<String>]
    /// The passes as written (no per_target applied).
    public var passes: [PassSpec]
    /// The `bundle:` section (defaults when absent).
    public var bundle: BundleSpec
    /// The `data:` section (empty when absent).
    public var data: DataSpec
    /// The `gates:` section, in the order written (empty when absent).
    public var gates: [Gate]
    /// Where each per_target entry is (the target name key).
    public var perTargetLocations: [String: SourceLocation]
    /// The pass lists of targets that have per_target overrides, resolved at load time.
    var perTargetPasses: [String: [PassSpec]]

    /// A recipe as the loader produces it; `perTargetPasses` holds the resolved passes of targets with per_target entries.
    public init(name: String, file: String, sourceFiles: [String], model: ModelSpec, targets: [Located<String>],
                passes: [PassSpec], bundle: BundleSpec = BundleSpec(),
                perTargetLocations: [String: SourceLocation] = [:], perTargetPasses: [String: [PassSpec]] = [:],
                data: DataSpec = DataSpec(), gates: [Gate] = []) {
        self.data = data
        self.gates = gates
        self.name = name
        self.file = file
        self.sourceFiles = sourceFiles
        self.model = model
        self.targets = targets
        self.passes = passes
        self.bundle = bundle
        self.perTargetLocations = perTargetLocations
        self.perTargetPasses = perTargetPasses
    }

    /// The target names, in the order written.
    public var targetNames: [String] { targets.map(\.value) }

    /// The passes for one target with its per_target overrides merged in (errors in overrides were already
    /// reported at load). Targets without a per_target entry get `passes`.
    public func passes(for target: String) -> [PassSpec] {
        perTargetPasses[target] ?? passes
    }
}
