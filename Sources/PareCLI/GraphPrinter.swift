import PareBuild

/// DOT and Mermaid renderings of a plan's DAG.
enum GraphPrinter {
    static func label(_ step: BuildStep) -> String {
        switch step.kind {
        case .importModel: return "import"
        case .bundle, .evaluate: return step.id
        case .pass, .calibrate: return step.id + (step.targets.count > 0 ? "\\n(" + step.targets.joined(separator: ", ") + ")" : "")
        }
    }

    static func dot(_ plan: BuildPlan) -> String {
        var s = "digraph \"\(plan.recipe.name)\" {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n"
        for (i, step) in plan.steps.enumerated() {
            let shape = step.kind == .bundle ? ", shape=folder" : step.kind == .importModel ? ", shape=cylinder" : ""
            s += "  s\(i) [label=\"\(label(step))\"\(shape)];\n"
        }
        for (i, step) in plan.steps.enumerated() { for j in step.inputs { s += "  s\(j) -> s\(i);\n" } }
        return s + "}\n"
    }

    static func mermaid(_ plan: BuildPlan) -> String {
        var s = "flowchart LR\n"
        for (i, step) in plan.steps.enumerated() {
            let text = label(step).replacingOccurrences(of: "\\n", with: "<br/>")
            switch step.kind {
            case .importModel: s += "  s\(i)[(\"\(text)\")]\n"
            case .bundle: s += "  s\(i)[/\"\(text)\"/]\n"
            case .pass, .calibrate, .evaluate: s += "  s\(i)[\"\(text)\"]\n"
            }
        }
        for (i, step) in plan.steps.enumerated() { for j in step.inputs { s += "  s\(j) --> s\(i)\n" } }
        return s
    }
}
