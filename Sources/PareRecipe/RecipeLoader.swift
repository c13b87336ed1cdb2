import Foundation
import PareBasics

/// Loads recipe YAML into a validated `Recipe`.
///
/// Every problem in the recipe (and its imports) is collected and thrown at once as a `DiagnosticError`, each
/// diagnostic located at `file:line:column` with a hint of what to do. Checks against target profiles are
/// separate: see `TargetCheck`.
public enum RecipeLoader {
    /// Parses, resolves imports, validates every field; throws DiagnosticError with ALL errors.
    /// - Parameter knownTargets: the ids of the available target profiles; when given, unknown target names are
    ///   reported (with "did you mean") together with every other error of the recipe.
    public static func load(path: String, knownTargets: [String]? = nil) throws -> Recipe {
        guard let root = try YAMLSource.parseFile(path, referencedFrom: nil, what: "recipe") else {
            throw DiagnosticError(emptyFile(path))
        }
        return try load(root: root, path: path, knownTargets: knownTargets)
    }

    /// Like `load(path:)` for YAML text already in memory (imports are resolved relative to `path`'s folder).
    public static func load(yaml: String, path: String) throws -> Recipe {
        guard let root = try YAMLSource.parse(yaml, file: path) else { throw DiagnosticError(emptyFile(path)) }
        return try load(root: root, path: path)
    }

    static func emptyFile(_ path: String) -> Diagnostic {
        .error("the recipe is empty; it needs at least 'recipe', 'model', 'targets' and 'passes' (see docs/recipe-reference.md)",
               at: SourceLocation(file: path, line: 1, column: 1))
    }

    static func load(root: YAMLNode, path: String, knownTargets: [String]? = nil) throws -> Recipe {
        let r = NodeReader()
        var imports = ImportResolver(reader: r)
        let merged = imports.resolve(root, file: path)
        // Problems with imports (missing files, syntax errors, cycles) make the merged tree unreliable:
        // report them before judging the merged recipe, so no error is a side effect of another.
        if r.bag.hasErrors { throw DiagnosticError(ordered(r.bag.diagnostics, files: imports.filesInOrder)) }
        var decoder = RecipeDecoder(reader: r, file: path)
        decoder.knownTargets = knownTargets
        let recipe = decoder.decode(merged, sourceFiles: imports.sourceFiles)
        guard let recipe, !r.bag.hasErrors else {
            throw DiagnosticError(ordered(r.bag.diagnostics, files: imports.filesInOrder))
        }
        return recipe
    }

    /// Without repeats (per_target resolution re-judges the layer below), in file order (recipe, then imports
    /// as loaded), then by line and column; the order found breaks ties.
    static func ordered(_ diagnostics: [Diagnostic], files: [String]) -> [Diagnostic] {
        var seen = Set<Diagnostic>()
        let unique = diagnostics.filter { seen.insert($0).inserted }
        func key(_ d: Diagnostic) -> (Int, String, Int, Int) {
            guard let l = d.location else { return (Int.max, "", 0, 0) }
            return (files.firstIndex(of: l.file) ?? files.count, l.file, l.line, l.column)
        }
        return unique.enumerated().sorted { a, b in
            let ka = key(a.element), kb = key(b.element)
            if ka != kb { return ka < kb }
            return a.offset < b.offset
        }.map(\.element)
    }
}
