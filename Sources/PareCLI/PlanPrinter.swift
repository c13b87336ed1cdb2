import PareBasics
import PareBuild

/// Text and JSON renderings of a plan.
enum PlanPrinter {
    struct StepJSON: Codable {
        var id: String; var kind: String; var pass: String; var targets: [String]; var inputs: [String]
        var status: String; var reasons: [String]; var key: String?
    }
    struct PlanJSON: Codable { var recipe: String; var targets: [String]; var steps: [StepJSON] }

    static func json(_ plan: BuildPlan, _ statuses: [StepStatus]) -> PlanJSON {
        PlanJSON(recipe: plan.recipe.name, targets: plan.targets.map(\.id), steps: zip(plan.steps, statuses).map { step, st in
            StepJSON(id: step.id, kind: step.kind.rawValue, pass: step.actionName, targets: step.targets,
                     inputs: step.inputs.map { plan.steps[$0].id }, status: st.state.rawValue, reasons: st.reasons, key: st.components?.key.hex)
        })
    }

    /// One line per step, indented by depth in the DAG, with status and reasons.
    static func text(_ plan: BuildPlan, _ statuses: [StepStatus]) -> String {
        let toRun = statuses.filter { $0.state == .run }.count
        var s = "recipe \(plan.recipe.name): \(plan.targets.count) target\(plan.targets.count == 1 ? "" : "s"), \(plan.steps.count) steps, \(toRun) to run\n"
        var depth = [Int](repeating: 0, count: plan.steps.count)
        for (i, step) in plan.steps.enumerated() { depth[i] = step.inputs.map { depth[$0] + 1 }.max() ?? 0 }
        let width = plan.steps.indices.map { depth[$0] * 2 + plan.steps[$0].id.count }.max() ?? 0
        for (i, step) in plan.steps.enumerated() {
            let name = String(repeating: "  ", count: depth[i]) + step.id
            let pad = String(repeating: " ", count: max(1, width - name.count + 2))
            let st = statuses[i]
            s += "  \(name)\(pad)\(st.state == .cached ? "cached" : "run   ")"
            if let first = st.reasons.first { s += "  \(first)" }
            s += "\n"
            for r in st.reasons.dropFirst() { s += "  " + String(repeating: " ", count: width + 2 + 6) + "  \(r)\n" }
        }
        return s
    }
}
