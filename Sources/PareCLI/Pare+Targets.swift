import ArgumentParser
import Foundation
import PareBasics
import PareRecipe

extension Pare {
    struct Targets: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List or show hardware target profiles.", subcommands: [List.self, Show.self])

        struct Folder: ParsableArguments {
            @Option(name: .customLong("targets"), help: "Target profiles folder (default: ./targets).") var directory: String = "targets"
            func load() throws -> [String: TargetProfile] {
                try withErrorHandling { try TargetCatalog.load(directory: directory) }
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "One line per target profile.")
            @OptionGroup var folder: Folder
            func run() throws {
                let all = try folder.load().values.sorted { $0.id < $1.id }
                let w = all.map(\.id.count).max() ?? 6
                for t in all {
                    let id = t.id + String(repeating: " ", count: w - t.id.count)
                    print("\(id)  \(t.kind.rawValue)  weights \(t.weights.dtypes.joined(separator: ",")) · \(t.weights.granularities.map(\.rawValue).joined(separator: ","))\(t.weights.symmetricOnly ? " · symmetric only" : "") · \(Int(t.memoryMB)) MB · \(t.name)")
                }
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Every field of one target profile.")
            @OptionGroup var folder: Folder
            @Argument(help: "Target id.") var target: String
            func run() throws {
                let all = try folder.load()
                guard let t = all[target] else {
                    printError("error: no target '\(target)' in \(folder.directory)\(Suggestion.hint(for: target, in: all.keys))")
                    throw Exit.invalidInput
                }
                print(String(decoding: try CanonicalJSON.encode(t, pretty: true), as: UTF8.self), terminator: "")
            }
        }
    }
}
