import ArgumentParser
import Foundation
import PareBasics
import PareBuild

/// Options shared by commands that read recipes.
struct RecipeOptions: ParsableArguments {
    @Argument(help: "Recipe files (default: every recipes/*.yaml).")
    var recipes: [String] = []

    @Option(name: .customLong("targets"), help: "Target profiles folder (default: the first targets/ folder above the recipe).")
    var targetsDirectory: String?

    @Option(name: .customLong("target"), help: "Only this target (repeatable).")
    var only: [String] = []

    /// The recipe paths to use.
    func resolvedRecipes() throws -> [String] {
        if !recipes.isEmpty { return recipes }
        let dir = "recipes"
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        guard !files.isEmpty else {
            throw ValidationError("no recipe given and no recipes/*.yaml in the current folder")
        }
        return files.map { "\(dir)/\($0)" }
    }
}

/// Options shared by commands that use the cache.
struct CacheOptions: ParsableArguments {
    @Option(help: "Cache folder (default: $PARE_CACHE, else ./cache).")
    var cache: String?

    var root: String { cache ?? Cache.defaultRoot() }
}

/// Exit codes: 1 build failure, 2 invalid input.
enum Exit {
    static let buildFailure = ExitCode(1)
    static let invalidInput = ExitCode(2)
}

/// Prints to standard error.
func printError(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}

/// Runs `body`, turning pare's errors into messages and exit codes.
func withErrorHandling<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as DiagnosticError {
        printError(e.description)
        let n = e.diagnostics.filter { $0.severity == .error }.count
        printError("\(n) error\(n == 1 ? "" : "s")")
        throw Exit.invalidInput
    } catch let e as BuildError {
        printError("error: \(e)")
        throw Exit.buildFailure
    } catch let e as ExitCode {
        throw e
    } catch let e as ValidationError {
        throw e
    } catch {
        printError("error: \(error)")
        throw Exit.buildFailure
    }
}
