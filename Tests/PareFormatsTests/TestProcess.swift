import Foundation

/// Runs a program and collects its exit status and output; the Python environment is set up once per test
/// run through scripts/setup-venv.sh. Any failure to run is an error, so a test that needs Python fails
/// (never skips) when Python checks cannot run.
enum TestProcess {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The repository root, found from this file's location (Tests/PareFormatsTests/TestProcess.swift).
    static let repoRoot: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Runs `argv` (looked up on PATH) with extra environment variables.
    static func run(_ argv: [String], environment: [String: String] = [:], input: [UInt8]? = nil) throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        return try TemporaryDirectory.with { dir in
            let out = dir + "/stdout", err = dir + "/stderr"
            _ = FileManager.default.createFile(atPath: out, contents: nil)
            _ = FileManager.default.createFile(atPath: err, contents: nil)
            let outHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
            let errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
            p.standardOutput = outHandle
            p.standardError = errHandle
            p.standardInput = FileHandle.nullDevice
            do { try p.run() } catch { throw Failure(description: "cannot run \(argv): \(error)") }
            p.waitUntilExit()
            try outHandle.close()
            try errHandle.close()
            return Output(status: p.terminationStatus,
                          stdout: String(decoding: try TemporaryDirectory.read(out), as: UTF8.self),
                          stderr: String(decoding: try TemporaryDirectory.read(err), as: UTF8.self))
        }
    }

    /// The venv's python, set up once (runs scripts/setup-venv.sh, which is quick when the venv is current).
    static func python() throws -> String { try pythonSetup.get() }

    private static let pythonSetup: Result<String, Failure> = {
        do {
            let r = try run(["bash", repoRoot + "/scripts/setup-venv.sh"])
            guard r.status == 0, let path = r.lines.last, FileManager.default.isExecutableFile(atPath: path) else {
                return .failure(Failure(description: "scripts/setup-venv.sh failed (status \(r.status)):\n\(r.stderr)\(r.stdout)"))
            }
            return .success(path)
        } catch let f as Failure {
            return .failure(f)
        } catch {
            return .failure(Failure(description: "scripts/setup-venv.sh: \(error)"))
        }
    }()

    /// Runs the venv's python with `arguments`.
    static func runPython(_ arguments: [String]) throws -> Output {
        try run([try python()] + arguments)
    }

    /// Runs `scripts/NAME` with the venv's python.
    static func script(_ name: String, _ arguments: [String]) throws -> Output {
        try runPython([repoRoot + "/scripts/" + name] + arguments)
    }

    /// Runs a Python snippet (`python -c`), throwing with its stderr when it fails.
    static func pythonSnippet(_ code: String, _ arguments: [String] = []) throws -> Output {
        let r = try runPython(["-c", code] + arguments)
        guard r.status == 0 else { throw Failure(description: "python snippet failed (status \(r.status)):\n\(r.stderr)") }
        return r
    }

    /// Parses one JSON object per output line.
    static func jsonLines(_ output: Output) throws -> [[String: Any]] {
        try output.lines.map { line in
            guard let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw Failure(description: "not a JSON object line: \(line)")
            }
            return o
        }
    }
}
