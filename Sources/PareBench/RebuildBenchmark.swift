import Foundation
import PareBasics
import PareBuild
import PareFixtures

/// Build and no-op rebuild of a ~100 MB float32 model for 3 targets, in process and through the `pare` binary.
enum RebuildBenchmark {
    static func run(arguments: [String]) throws {
        let dir = NSTemporaryDirectory() + "pare-bench-rebuild-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/models", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // 2 layers of width 768 (7.1 M params each) + 2 × 8192 × 768 embeddings ≈ 26.8 M params ≈ 107 MB.
        let model = SyntheticModel(layers: 2, width: 768, vocab: 8192, seed: 3)
        try model.write(to: dir + "/models/m.safetensors")
        let recipe = """
        recipe: bench
        model: { path: models/m.safetensors }
        targets: [arm64-cortex-a78, x86-64-avx2, arm64-cortex-a55]
        passes:
          - prune: { pattern: "2:4", include: ["*mlp*"] }
          - quantize: { weights: { dtype: int8, granularity: per-channel } }
        per_target:
          x86-64-avx2:
            quantize: { weights: { dtype: int4, granularity: per-group, group: 32 } }
        """
        try recipe.write(toFile: dir + "/recipe.yaml", atomically: true, encoding: .utf8)
        let targets = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path + "/targets"
        var options = BuildOptions()
        options.cacheRoot = dir + "/cache"
        options.distRoot = dir + "/dist"
        options.jobs = ProcessInfo.processInfo.activeProcessorCount
        let mb = Double(model.float32Bytes) / 1e6
        print(String(format: "model: %.1f MB float32, %d tensors; 3 targets; jobs %d", mb, model.tensors.count, options.jobs))

        func timed(_ body: () throws -> Void) rethrows -> Double {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
        }
        var report: BuildReport?
        let first = try timed {
            let plan = try Planner.plan(recipePath: dir + "/recipe.yaml", targetsDirectory: targets)
            report = try Executor(plan: plan, options: options).run()
        }
        print(String(format: "first build (in process): %.0f ms, %d steps executed", first, report!.executed))
        var times: [Double] = []
        for _ in 0..<10 {
            times.append(try timed {
                let plan = try Planner.plan(recipePath: dir + "/recipe.yaml", targetsDirectory: targets)
                report = try Executor(plan: plan, options: options).run()
            })
            precondition(report!.executed == 0, "no-op rebuild executed steps")
        }
        times.sort()
        print(String(format: "no-op rebuild (in process): median %.1f ms, best %.1f ms, worst %.1f ms (10 runs, 0 steps executed)", times[5], times[0], times[9]))

        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("pare").path
        if FileManager.default.isExecutableFile(atPath: exe) {
            var cli: [Double] = []
            for _ in 0..<10 {
                cli.append(try timed {
                    let p = Process()
                    p.executableURL = URL(fileURLWithPath: exe)
                    p.arguments = ["build", "recipe.yaml", "--targets", targets, "--cache", "cache", "--dist", "dist", "--json"]
                    p.currentDirectoryURL = URL(fileURLWithPath: dir)
                    p.standardOutput = FileHandle.nullDevice
                    try p.run()
                    p.waitUntilExit()
                    precondition(p.terminationStatus == 0)
                })
            }
            cli.sort()
            print(String(format: "no-op rebuild (pare build process, incl. start-up): median %.1f ms, best %.1f ms, worst %.1f ms", cli[5], cli[0], cli[9]))
        } else {
            print("(build the pare product to also time the command: swift build -c release)")
        }
    }
}
