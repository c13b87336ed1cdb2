import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// `pare`: a declarative build system for compressing neural networks for on-device targets.
@main
struct Pare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pare",
        abstract: "Compress neural networks for phones, NPUs, DSPs and edge CPUs, declaratively and incrementally.",
        discussion: "Exit codes: 0 success, 1 build failure, 2 invalid recipe, target or arguments.",
        version: "0.1.0",
        subcommands: [Build.self, Plan.self, Graph.self, Explain.self, Validate.self, Inspect.self, Diff.self, CacheCommand.self, Targets.self, Fixture.self])

    /// Like ArgumentParser's `main()`, but invalid arguments exit with 2 (pare's code for invalid input), not 64.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                let message = fullMessage(for: error)
                if !message.isEmpty { printError(message) }
                Glibc.exit(Exit.invalidInput.rawValue)
            }
            exit(withError: error)
        }
    }
}
