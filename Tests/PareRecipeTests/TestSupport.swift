import Foundation
import PareBasics
@testable import PareRecipe

/// SplitMix64: a small, seeded generator so that randomized tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum TestSupport {
    /// The package root, found from this file's path (Tests/PareRecipeTests/TestSupport.swift).
    static func repoRoot(_ file: String = #filePath) -> String {
        var url = URL(fileURLWithPath: file)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }

    static var shippedTargets: String { repoRoot() + "/targets" }

    /// A fresh empty folder under the system temp folder.
    static func tempDir(_ label: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("pare-recipe-tests-\(label)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }

    /// Writes files (relative path → text) under `dir`, creating folders.
    static func write(_ files: [String: String], in dir: String) throws {
        for (rel, text) in files {
            let url = URL(fileURLWithPath: dir + "/" + rel)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
    }

    /// The diagnostics `load(yaml:path:)` throws, rendered; [] when it loads.
    static func errors(_ yaml: String, path: String = "recipes/a.yaml") -> [String] {
        do {
            _ = try RecipeLoader.load(yaml: yaml, path: path)
            return []
        } catch let e as DiagnosticError {
            return e.diagnostics.map(\.description)
        } catch {
            return ["unexpected error type: \(error)"]
        }
    }

    static func load(_ yaml: String, path: String = "recipes/a.yaml") throws -> Recipe {
        try RecipeLoader.load(yaml: yaml, path: path)
    }
}

/// `SourceLocation` clashes with Swift Testing's type of the same name.
typealias Loc = PareBasics.SourceLocation
