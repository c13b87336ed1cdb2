import Foundation
import PareBasics

/// Finds and loads target profiles (`targets/<id>.yaml`).
public enum TargetCatalog {
    /// Loads every *.yaml in the folder; all errors at once with locations.
    public static func load(directory: String) throws -> [String: TargetProfile] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".yaml") }.sorted()
        } catch {
            throw DiagnosticError(.error("cannot list target profiles in '\(directory)': no such readable folder; "
                                         + "create it or point pare at the folder holding <target>.yaml files",
                                         at: SourceLocation(file: directory)))
        }
        var bag = DiagnosticBag()
        var out: [String: TargetProfile] = [:]
        for name in names {
            let path = PathUtil.join(directory, name)
            do {
                let p = try loadProfile(path: path)
                out[p.id] = p
            } catch let e as DiagnosticError {
                bag.append(contentsOf: e.diagnostics)
            }
        }
        try bag.throwIfErrors()
        return out
    }

    /// Loads one profile file; its `target:` must equal the file name without `.yaml`.
    public static func loadProfile(path: String) throws -> TargetProfile {
        guard let root = try YAMLSource.parseFile(path, referencedFrom: nil, what: "target profile") else {
            throw DiagnosticError(.error("the target profile is empty; see docs/targets.md for its keys",
                                         at: SourceLocation(file: path, line: 1, column: 1)))
        }
        return try profile(root, file: path)
    }

    /// Decodes a parsed profile (exposed to the module for tests of single profiles).
    static func profile(_ root: YAMLNode, file: String) throws -> TargetProfile {
        let r = NodeReader()
        var decoder = TargetProfileDecoder(reader: r, file: file)
        let profile = decoder.decode(root)
        if r.bag.hasErrors || profile == nil { throw DiagnosticError(RecipeLoader.ordered(r.bag.diagnostics, files: [file])) }
        return profile!
    }

    /// The targets folder for a recipe: walk up from the recipe file's folder to the first ancestor containing
    /// `targets/`; nil if none. The result is relative when `path` is (e.g. `../targets`), absolute otherwise.
    public static func locate(forRecipe path: String) -> String? {
        var folder = PathUtil.normalize(PathUtil.dirname(path).isEmpty ? "." : PathUtil.dirname(path))
        while true {
            let candidate = PathUtil.join(folder, "targets")
            if PathUtil.isDirectory(candidate) { return candidate }
            let absolute = PathUtil.absolute(folder)
            if absolute == "/" { return nil }
            folder = PathUtil.join(folder, "..")
        }
    }
}
