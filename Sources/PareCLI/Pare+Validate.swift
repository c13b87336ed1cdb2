import ArgumentParser
import PareBasics
import PareBuild

extension Pare {
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check recipes against their target profiles and model, reporting every error with its location.")

        @OptionGroup var recipeOptions: RecipeOptions

        func run() throws {
            var failed = false
            for recipe in try recipeOptions.resolvedRecipes() {
                do {
                    let plan = try withErrorHandling {
                        try Planner.plan(recipePath: recipe, only: recipeOptions.only, targetsDirectory: recipeOptions.targetsDirectory)
                    }
                    let passes = plan.recipe.passes.count
                    print("ok: \(recipe) — \(plan.targets.count) target\(plan.targets.count == 1 ? "" : "s"), \(passes) pass\(passes == 1 ? "" : "es"), \(plan.steps.count) steps")
                } catch {
                    failed = true
                }
            }
            if failed { throw Exit.invalidInput }
        }
    }
}
