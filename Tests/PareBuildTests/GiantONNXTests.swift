import Foundation
import Testing
import PareBasics
import PareBuild

/// A real model over protobuf's 2 GiB limit, end to end: `giant-transformer` (~2.34 GB of float32 weights, saved
/// with external data by scripts/onnx_fixtures.py) built by `pare build` with `bundle.external_data: auto`, which
/// must choose the sidecar; the bundle passes `onnx.checker` (path-based) and runs in ONNX Runtime close to the float
/// model. Opt-in — it needs ~10 GB of disk and a few minutes: `PARE_HUGE_TESTS=1 swift test --filter GiantONNXTests`.
/// Prints the wall time and peak RSS of `pare build` (with /usr/bin/time when installed) and the bundle's sizes.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["PARE_HUGE_TESTS"] == "1", "set PARE_HUGE_TESTS=1 to build a > 2 GiB ONNX model"),
       .serialized)
struct GiantONNXTests {
    static let gib = 1 << 30

    /// The fixture folder, generated once per generator version (like ONNXBuildTests.fixtures).
    static func fixture() throws -> String {
        let script = FileManager.default.contents(atPath: Workspace.repoRoot + "/scripts/onnx_fixtures.py") ?? Data()
        let dir = NSTemporaryDirectory() + "pare-onnx-giant-\(Digest.of(script).short)"
        // The .onnx is saved after its data file, the inputs after both: their presence means a complete fixture.
        if FileManager.default.fileExists(atPath: dir + "/giant-transformer.inputs.npz") { return dir }
        let (status, out, err) = try Workspace.python([Workspace.repoRoot + "/scripts/onnx_fixtures.py", dir,
                                                       "--only", "giant-transformer", "--no-verify"])
        #expect(status == 0, "\(err)")
        print("giant-transformer fixture: \(out)")
        return dir
    }

    @Test func modelOver2GiBBuildsWithASidecarAndRuns() throws {
        let dir = try Self.fixture()
        let model = dir + "/giant-transformer.onnx"
        let data = FileStat.of(dir + "/giant-transformer.onnx.data")?.size ?? 0
        #expect(data > 2 * Self.gib + (100 << 20), "the fixture's weights are \(data) bytes")

        // fp16 for the first block's MLP only (2 × 64 MiB → 2 × 32 MiB): the bundle stays over 2 GiB.
        let ws = try Workspace(recipe: "recipe: placeholder\n")
        try ws.writeRecipe("""
        recipe: giant
        model: { path: \(model) }
        targets: [x86-64-avx2]
        passes:
          - cast: { dtype: fp16, include: ["layers.0.mlp.*"] }
        bundle: { external_data: auto, tar: true }

        """)
        let timeTool = "/usr/bin/time"
        let measured = FileManager.default.isExecutableFile(atPath: timeTool)
        let command = [Workspace.pareBinary, "build", "recipe.yaml", "--targets", Workspace.targetsDir, "--cache", ws.cacheDir,
                       "--dist", ws.distDir, "--jobs", "2"]
        let start = Date()
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        let (status, _, err) = try Workspace.run(measured ? [timeTool, "-v"] + command : command, cwd: ws.dir, environment: env)
        let seconds = Date().timeIntervalSince(start)
        #expect(status == 0, "\(err)")
        let peak = err.split(separator: "\n").first { $0.contains("Maximum resident set size") }.map { String($0).trimmingCharacters(in: .whitespaces) }

        let bundle = ws.distDir + "/giant/x86-64-avx2"
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: bundle)) ?? []).sorted()
        #expect(files == ["SHA256SUMS", "manifest.json", "model.onnx", "model.onnx.data"])
        let onnxBytes = FileStat.of(bundle + "/model.onnx")?.size ?? 0
        let sidecarBytes = FileStat.of(bundle + "/model.onnx.data")?.size ?? 0
        #expect(sidecarBytes > 2 * Self.gib, "the bundle's weights are \(sidecarBytes) bytes")
        #expect(sidecarBytes < data)
        #expect(onnxBytes < 1 << 20, "model.onnx is \(onnxBytes) bytes")
        let sums = String(decoding: ws.read(bundle + "/SHA256SUMS"), as: UTF8.self)
        #expect(sums.contains("  model.onnx.data\n"))

        let c = try ONNXBuildTests.check(reference: model, candidate: bundle + "/model.onnx")
        #expect(c.checker)
        #expect(!c.outputs.isEmpty)
        for (name, o) in c.outputs { #expect(o.cosine_min >= 0.999, "\(name): cosine \(o.cosine_min)") }
        #expect(c.ops["Cast"] != nil, "\(c.ops)")
        #expect(c.candidate_bytes == onnxBytes + sidecarBytes)

        let cacheBytes = Self.bytes(under: ws.cacheDir)
        let distBytes = Self.bytes(under: ws.distDir)
        print("""
        giant ONNX: pare build \(String(format: "%.1f", seconds)) s\(peak.map { ", \($0)" } ?? " (no /usr/bin/time: peak RSS not measured)"); \
        model.onnx \(onnxBytes) B, model.onnx.data \(sidecarBytes) B; cache \(cacheBytes) B, dist (bundle + tar) \(distBytes) B; \
        fixture \(data) B
        """)
    }

    static func bytes(under dir: String) -> Int {
        guard let e = FileManager.default.enumerator(atPath: dir) else { return 0 }
        var total = 0
        while let rel = e.nextObject() as? String { total += FileStat.of(dir + "/" + rel)?.size ?? 0 }
        return total
    }
}
