import PareBasics
import PareFormats
import PareRecipe

/// Recipe × targets as a DAG of steps, in a topological order (inputs before consumers).
public struct BuildPlan: Sendable {
    public var recipe: Recipe
    /// The targets to build, in recipe order.
    public var targets: [TargetProfile]
    public var steps: [BuildStep]
    /// The source model's format and tensor table as read from its header.
    public var sourceHeader: ModelHeader

    public func step(named id: String) -> Int? { steps.firstIndex { $0.id == id } }

    /// The bundle step of each target.
    public func bundleStep(for target: String) -> Int? { steps.firstIndex { $0.kind == .bundle && $0.targets == [target] } }

    /// The chain of steps feeding a target's bundle (import, passes, evaluate), in order; calibrate steps are not in it.
    public func chain(for target: String) -> [Int] {
        guard var i = bundleStep(for: target) else { return [] }
        var out: [Int] = []
        while let p = steps[i].inputs.first { out.append(p); i = p }
        return out.reversed()
    }

    /// The evaluate step of a target, if the recipe evaluates.
    public func evaluateStep(for target: String) -> Int? { steps.firstIndex { $0.kind == .evaluate && $0.targets == [target] } }
}
