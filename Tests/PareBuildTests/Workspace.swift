import Foundation
import PareBasics
import PareBuild
import PareFixtures

/// A temporary folder with a synthetic model, a recipe and its own cache and dist folders.
final class Workspace {
    let dir: String
    var model: SyntheticModel

    static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static var targetsDir: String { repoRoot + "/targets" }

    init(model: SyntheticModel = SyntheticModel(layers: 2, width: 64, vocab: 256, seed: 7), recipe: String) throws {
        dir = NSTemporaryDirectory() + "pare-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/models", withIntermediateDirectories: true)
        self.model = model
        try model.write(to: modelPath)
        try writeRecipe(recipe)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    var modelPath: String { dir + "/models/model.safetensors" }
    var recipePath: String { dir + "/recipe.yaml" }
    var cacheDir: String { dir + "/cache" }
    var distDir: String { dir + "/dist" }

    func writeRecipe(_ text: String) throws {
        try text.write(toFile: recipePath, atomically: true, encoding: .utf8)
    }

    func plan(only: [String] = []) throws -> BuildPlan {
        try Planner.plan(recipePath: recipePath, only: only, targetsDirectory: Workspace.targetsDir)
    }

    func options(jobs: Int = 2, cache: String? = nil, dist: String? = nil) -> BuildOptions {
        var o = BuildOptions()
        o.jobs = jobs
        o.cacheRoot = cache ?? cacheDir
        o.distRoot = dist ?? distDir
        o.archiveMTime = 0
        o.salt = ""
        return o
    }

    @discardableResult
    func build(jobs: Int = 2, cache: String? = nil, dist: String? = nil, only: [String] = []) throws -> BuildReport {
        try Executor(plan: plan(only: only), options: options(jobs: jobs, cache: cache, dist: dist)).run()
    }

    func read(_ path: String) -> Data { FileManager.default.contents(atPath: path) ?? Data() }

    /// Runs the repo's venv Python with arguments; returns (status, stdout, stderr).
    static func python(_ args: [String]) throws -> (Int32, String, String) {
        let py = ProcessInfo.processInfo.environment["PARE_VENV"].map { $0 + "/bin/python" } ?? repoRoot + "/.venv/bin/python"
        if !FileManager.default.isExecutableFile(atPath: py) {
            _ = try run(["/bin/bash", repoRoot + "/scripts/setup-venv.sh"])
        }
        return try run([py] + args)
    }

    static func run(_ args: [String], cwd: String? = nil, environment: [String: String]? = nil) throws -> (Int32, String, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: args[0])
        p.arguments = Array(args.dropFirst())
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        if let environment { p.environment = environment }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// The `pare` executable built next to the test bundle.
    static var pareBinary: String {
        let exe = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent()
        for candidate in [exe, exe.deletingLastPathComponent()] {
            let p = candidate.appendingPathComponent("pare").path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return repoRoot + "/.build/debug/pare"
    }
}

/// Counts of a build report, for exact assertions.
extension BuildReport {
    func status(of id: String) -> StepResult? { steps.first { $0.id == id } }
    var executedIDs: [String] { steps.filter { $0.status == .executed }.map(\.id).sorted() }
}
