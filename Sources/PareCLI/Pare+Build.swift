import ArgumentParser
import Foundation
import PareBasics
import PareBuild

extension Pare {
    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build the bundles of one or more recipes.",
            discussion: """
            Skips every step whose inputs did not change (content-addressed cache). With --json, prints one JSON object
            per recipe at the end (see docs/json-output.md).
            """)

        @OptionGroup var recipeOptions: RecipeOptions
        @OptionGroup var cacheOptions: CacheOptions

        @Option(name: .shortAndLong, help: "Parallel workers for steps, tensors and model-pass kernels; bundles are the same for every value (default: number of cores).")
        var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

        @Option(help: "Output folder for bundles.")
        var dist: String = "dist"

        @Flag(help: "Print a JSON report instead of progress.")
        var json = false

        func validate() throws {
            guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1 (got \(jobs))") }
        }

        func run() throws {
            let recipes = try recipeOptions.resolvedRecipes()
            var options = BuildOptions()
            options.jobs = jobs
            options.cacheRoot = cacheOptions.root
            options.distRoot = dist
            var gatesFailed = false
            for recipe in recipes {
                let plan = try withErrorHandling {
                    try Planner.plan(recipePath: recipe, only: recipeOptions.only, targetsDirectory: recipeOptions.targetsDirectory)
                }
                let progress = json ? nil : ProgressDisplay(plan: plan)
                let report = try withErrorHandling {
                    try Executor(plan: plan, options: options, observer: progress).run()
                }
                progress?.finish()
                if json {
                    let data = try CanonicalJSON.encode(report)
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    print("built \(report.recipe): \(report.executed) step\(report.executed == 1 ? "" : "s") executed, \(report.cached) cached")
                    for s in report.steps { if let r = s.report { print("  \(s.id): \(r.summary)") } }
                    for b in report.bundles {
                        print("  \(b.target): \(b.path)  (\(b.tar ?? "no .tar"), \(ByteCount.format(b.bytes)), sha256 \(b.sha256.prefix(16))…)")
                        if let e = b.evaluation { print(GateTable.metricsLine(e).map { "    " + $0 }.joined(separator: "\n")) }
                    }
                }
                if !report.gateFailures.isEmpty {
                    gatesFailed = true
                    FileHandle.standardError.write(Data(GateTable.render(recipe: report.recipe, failures: report.gateFailures).utf8))
                }
            }
            if gatesFailed { throw ExitCode(1) }
        }
    }
}
