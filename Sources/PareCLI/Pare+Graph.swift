import ArgumentParser
import PareBuild

extension Pare {
    struct Graph: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the build DAG as Graphviz DOT or Mermaid.")

        enum Format: String, ExpressibleByArgument, CaseIterable { case dot, mermaid }

        @OptionGroup var recipeOptions: RecipeOptions
        @Option(help: "dot or mermaid.") var format: Format = .dot

        func run() throws {
            for recipe in try recipeOptions.resolvedRecipes() {
                let plan = try withErrorHandling {
                    try Planner.plan(recipePath: recipe, only: recipeOptions.only, targetsDirectory: recipeOptions.targetsDirectory)
                }
                print(format == .dot ? GraphPrinter.dot(plan) : GraphPrinter.mermaid(plan), terminator: "")
            }
        }
    }
}
