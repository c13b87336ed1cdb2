import ArgumentParser
import Foundation
import PareBasics
import PareBuild

extension Pare {
    struct Plan: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the build DAG of a recipe with each step's cache status and why it would run.")

        @OptionGroup var recipeOptions: RecipeOptions
        @OptionGroup var cacheOptions: CacheOptions

        @Option(help: "Output folder for bundles (to check whether they are intact).")
        var dist: String = "dist"

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            for recipe in try recipeOptions.resolvedRecipes() {
                let plan = try withErrorHandling {
                    try Planner.plan(recipePath: recipe, only: recipeOptions.only, targetsDirectory: recipeOptions.targetsDirectory)
                }
                var options = BuildOptions()
                options.cacheRoot = cacheOptions.root
                options.distRoot = dist
                let statuses = try withErrorHandling { try Executor(plan: plan, options: options).predict() }
                if json {
                    print(String(decoding: try CanonicalJSON.encode(PlanPrinter.json(plan, statuses)), as: UTF8.self))
                } else {
                    print(PlanPrinter.text(plan, statuses), terminator: "")
                }
            }
        }
    }
}
