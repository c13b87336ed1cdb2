import ArgumentParser
import Foundation
import PareBasics
import PareBuild

extension Pare {
    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Say why a step would run: which key component changed since its last run.")

        @Argument(help: "The recipe file.") var recipe: String
        @Argument(help: "The step id, as `pare plan` prints it.") var step: String
        @Option(name: .customLong("targets"), help: "Target profiles folder.") var targetsDirectory: String?
        @OptionGroup var cacheOptions: CacheOptions
        @Option(help: "Output folder for bundles.") var dist: String = "dist"

        func run() throws {
            let plan = try withErrorHandling { try Planner.plan(recipePath: recipe, targetsDirectory: targetsDirectory) }
            guard let index = plan.step(named: step) else {
                let ids = plan.steps.map(\.id)
                printError("error: recipe '\(plan.recipe.name)' has no step '\(step)'\(Suggestion.hint(for: step, in: ids)); its steps are: \(ids.joined(separator: ", "))")
                throw Exit.invalidInput
            }
            var options = BuildOptions()
            options.cacheRoot = cacheOptions.root
            options.distRoot = dist
            let status = try withErrorHandling { try Executor(plan: plan, options: options).predict() }[index]
            print("step \(step): \(status.state == .cached ? "cached — its key matches a cached result" : "would run")")
            for r in status.reasons { print("  - \(r)") }
            if let c = status.components {
                print("key \(c.key.hex)")
                print("components:")
                print(String(decoding: try CanonicalJSON.encode(c, pretty: true), as: UTF8.self), terminator: "")
            }
            if let p = status.previous, p != status.components {
                print("last run key \(p.key.hex)")
            }
        }
    }
}
