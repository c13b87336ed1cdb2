import Foundation
import PareBasics
@testable import PareRecipe

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
