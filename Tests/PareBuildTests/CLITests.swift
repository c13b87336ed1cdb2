import Foundation
import Testing
import PareBasics
import PareBuild

/// The `pare` executable: exit codes, the --json contract, plan/explain output.
@Suite struct CLITests {
    static let recipe = """
    recipe: cli
    model: { path: models/model.safetensors }
    targets: [arm64-cortex-a78, x86-64-avx2]
    passes:
      - prune: { pattern: "2:4", include: ["*mlp*"] }
      - quantize: { weights: { dtype: int8, granularity: per-channel } }

    """

    func pare(_ ws: Workspace, _ args: [String]) throws -> (Int32, String, String) {
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        return try Workspace.run([Workspace.pareBinary] + args + ["--cache", ws.cacheDir], cwd: ws.dir, environment: env)
    }

    func pareNoCache(_ ws: Workspace, _ args: [String]) throws -> (Int32, String, String) {
        try Workspace.run([Workspace.pareBinary] + args, cwd: ws.dir)
    }

    @Test func buildJSONContract() throws {
        let ws = try Workspace(recipe: Self.recipe)
        let (status, out, err) = try pare(ws, ["build", "recipe.yaml", "--targets", Workspace.targetsDir, "--json", "--dist", "dist"])
        #expect(status == 0, "\(err)")
        let obj = try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [String: Any]
        #expect(Set(obj.keys) == ["recipe", "executed", "cached", "steps", "bundles"])
        #expect(obj["recipe"] as? String == "cli")
        #expect(obj["executed"] as? Int == 5)
        #expect(obj["cached"] as? Int == 0)
        let steps = obj["steps"] as! [[String: Any]]
        #expect(steps.count == 5)
        for s in steps {
            #expect(Set(s.keys).isSuperset(of: ["id", "pass", "target", "status", "tensors_computed", "tensors_reused", "seconds"]))
        }
        #expect(steps.first { $0["id"] as? String == "bundle@x86-64-avx2" }?["target"] as? String == "x86-64-avx2")
        #expect(steps.first { $0["id"] as? String == "quantize" }?["target"] is NSNull)
        let bundles = obj["bundles"] as! [[String: Any]]
        #expect(bundles.map { $0["target"] as! String } == ["arm64-cortex-a78", "x86-64-avx2"])
        for b in bundles {
            #expect((b["sha256"] as! String).count == 64)
            #expect((b["bytes"] as! Int) > 0)
            #expect(b["path"] as? String == "dist/cli/\(b["target"] as! String)")
            #expect(Set(b.keys) == ["target", "path", "sha256", "bytes", "tar"])
            #expect(b["tar"] is NSNull, "no bundle.tar in the recipe: no archive")
        }
        let (s2, out2, _) = try pare(ws, ["build", "recipe.yaml", "--targets", Workspace.targetsDir, "--json"])
        #expect(s2 == 0)
        let obj2 = try JSONSerialization.jsonObject(with: Data(out2.utf8)) as! [String: Any]
        #expect(obj2["executed"] as? Int == 0)
        #expect(obj2["cached"] as? Int == 5)
    }

    @Test func invalidRecipeExitsTwoWithLocations() throws {
        let ws = try Workspace(recipe: """
        recipe: cli
        model: { path: models/model.safetensors }
        targets: [arm64-cortex-a78, x86-64-avx3]
        pases: []
        passes:
          - quantise: { weights: { dtype: int8 } }

        """)
        let (status, _, err) = try pare(ws, ["build", "recipe.yaml", "--targets", Workspace.targetsDir])
        #expect(status == 2)
        #expect(err.contains("recipe.yaml:3:"))
        #expect(err.contains("x86-64-avx2"))
        #expect(err.contains("recipe.yaml:4:1"))
        #expect(err.contains("passes"))
        #expect(err.contains("recipe.yaml:6:"))
        #expect(err.contains("quantize"))
        #expect(!FileManager.default.fileExists(atPath: ws.dir + "/dist"))
    }

    @Test func badArgumentsExitTwo() throws {
        let ws = try Workspace(recipe: Self.recipe)
        let (status, _, err) = try pare(ws, ["build", "recipe.yaml", "--jobs", "0"])
        #expect(status == 2)
        #expect(err.contains("--jobs"))
        let (s2, _, e2) = try pare(ws, ["build", "recipe.yaml", "--targets", Workspace.targetsDir, "--target", "x86-64-avx3"])
        #expect(s2 == 2)
        #expect(e2.contains("did you mean 'x86-64-avx2'"))
    }

    @Test func planShowsStatusesAndReasons() throws {
        let ws = try Workspace(recipe: Self.recipe)
        let (s0, plan0, e0) = try pare(ws, ["plan", "recipe.yaml", "--targets", Workspace.targetsDir])
        #expect(s0 == 0, "\(e0)")
        #expect(plan0 == """
        recipe cli: 2 targets, 5 steps, 5 to run
          import                         run     never built
            prune                        run     its input changes when 'import' runs
              quantize                   run     its input changes when 'prune' runs
                bundle@arm64-cortex-a78  run     its input changes when 'quantize' runs
                bundle@x86-64-avx2       run     its input changes when 'quantize' runs

        """)
        _ = try pare(ws, ["build", "recipe.yaml", "--targets", Workspace.targetsDir])
        try ws.writeRecipe(Self.recipe.replacingOccurrences(of: "dtype: int8", with: "dtype: uint8"))
        let (_, plan1, _) = try pare(ws, ["plan", "recipe.yaml", "--targets", Workspace.targetsDir])
        #expect(plan1.contains("  import                         cached\n"))
        #expect(plan1.contains("  prune                        cached\n"))
        #expect(plan1.contains("quantize                   run     config.quantize.weights.dtype: \"int8\" → \"uint8\""))

        let (s2, explain, e2) = try pare(ws, ["explain", "recipe.yaml", "quantize", "--targets", Workspace.targetsDir])
        #expect(s2 == 0, "\(e2)")
        #expect(explain.contains("would run"))
        #expect(explain.contains("config.quantize.weights.dtype: \"int8\" → \"uint8\""))
        let (s3, _, e3) = try pare(ws, ["explain", "recipe.yaml", "quantise", "--targets", Workspace.targetsDir])
        #expect(s3 == 2)
        #expect(e3.contains("did you mean 'quantize'"))
    }

    @Test func graphFormats() throws {
        let ws = try Workspace(recipe: Self.recipe)
        let (s, dot, _) = try pareNoCache(ws, ["graph", "recipe.yaml", "--targets", Workspace.targetsDir, "--format", "dot"])
        #expect(s == 0)
        #expect(dot.hasPrefix("digraph \"cli\" {"))
        #expect(dot.contains("s0 -> s1;"))
        let (_, mermaid, _) = try pareNoCache(ws, ["graph", "recipe.yaml", "--targets", Workspace.targetsDir, "--format", "mermaid"])
        #expect(mermaid.hasPrefix("flowchart LR"))
        #expect(mermaid.contains("s2 --> s3"))
    }

    @Test func inspectAndCacheCommands() throws {
        let ws = try Workspace(recipe: Self.recipe)
        _ = try pare(ws, ["build", "recipe.yaml", "--targets", Workspace.targetsDir])
        let (s, out, e) = try pareNoCache(ws, ["inspect", "dist/cli/arm64-cortex-a78/model.safetensors", "--json"])
        #expect(s == 0, "\(e)")
        let obj = try JSONSerialization.jsonObject(with: Data(out.utf8)) as! [String: Any]
        let rows = obj["rows"] as! [[String: Any]]
        let up = rows.first { $0["name"] as? String == "layers.0.mlp.up.weight" }!
        #expect(up["dtype"] as? String == "int8")
        #expect((up["scheme"] as? String)?.hasPrefix("int8 per-channel") == true)
        let (s2, stats, _) = try pare(ws, ["cache", "stats", "--json"])
        #expect(s2 == 0)
        let st = try JSONSerialization.jsonObject(with: Data(stats.utf8)) as! [String: Any]
        #expect((st["blobs"] as! Int) > 0)
        let (s3, verify, _) = try pare(ws, ["cache", "verify"])
        #expect(s3 == 0)
        #expect(verify.contains("0 corrupt"))
        let (s4, _, e4) = try pare(ws, ["cache", "gc", "--max-size", "lots"])
        #expect(s4 == 2)
        #expect(e4.contains("--max-size"))
        let (s5, _, e5) = try pareNoCache(ws, ["inspect", "nope.safetensors"])
        #expect(s5 == 2)
        #expect(e5.contains("nope.safetensors"))
    }

    /// A write that fails half-way (file-size limit, as on a full disk) fails the build with exit 1 and leaves
    /// no bundle, no temporary files and no corrupt cache entry.
    @Test(arguments: [16, 100])
    func failedWritesLeaveNothingHalfWritten(limitKiB: Int) throws {
        let ws = try Workspace(recipe: Self.recipe)
        let script = "trap '' XFSZ; ulimit -f \(limitKiB); exec \"$0\" build recipe.yaml --targets \"$1\" --cache cache --dist dist"
        let (status, _, err) = try Workspace.run(["/bin/bash", "-c", script, Workspace.pareBinary, Workspace.targetsDir], cwd: ws.dir)
        #expect(status == 1, "\(err)")
        #expect(err.contains("error:"))
        let leftovers = (FileManager.default.enumerator(atPath: ws.dir)?.allObjects as? [String] ?? [])
            .filter { $0.contains(".tmp-") || $0.contains(".staging-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
        #expect(!FileManager.default.fileExists(atPath: ws.dir + "/dist/cli/arm64-cortex-a78"))
        let v = try CacheMaintenance.verify(root: ws.cacheDir, workers: 2)
        #expect(v.corrupt.isEmpty)
        // Without the limit the same build succeeds from what was cached.
        let (ok, _, e2) = try pare(ws, ["build", "recipe.yaml", "--targets", Workspace.targetsDir])
        #expect(ok == 0, "\(e2)")
    }

    @Test func targetsAndValidateCommands() throws {
        let ws = try Workspace(recipe: Self.recipe)
        let (s, list, _) = try pareNoCache(ws, ["targets", "list", "--targets", Workspace.targetsDir])
        #expect(s == 0)
        for t in ["qualcomm-hexagon-v73", "apple-ane-a17", "arm64-cortex-a78", "google-edgetpu", "x86-64-avx2", "cadence-hifi4-dsp"] {
            #expect(list.contains(t))
        }
        let (s2, show, _) = try pareNoCache(ws, ["targets", "show", "google-edgetpu", "--targets", Workspace.targetsDir])
        #expect(s2 == 0)
        #expect(show.contains("\"memory_mb\""))
        let (s3, _, e3) = try pareNoCache(ws, ["targets", "show", "google-edgtpu", "--targets", Workspace.targetsDir])
        #expect(s3 == 2)
        #expect(e3.contains("did you mean 'google-edgetpu'"))
        let (s4, ok, _) = try pareNoCache(ws, ["validate", "recipe.yaml", "--targets", Workspace.targetsDir])
        #expect(s4 == 0)
        #expect(ok.hasPrefix("ok: recipe.yaml"))
        // int4 on the Edge TPU: a plan-time error naming the recipe line and the target file.
        try ws.writeRecipe(Self.recipe.replacingOccurrences(of: "[arm64-cortex-a78, x86-64-avx2]", with: "[google-edgetpu]")
            .replacingOccurrences(of: "dtype: int8, granularity: per-channel", with: "dtype: int4, granularity: per-channel"))
        let (s5, _, e5) = try pareNoCache(ws, ["validate", "recipe.yaml", "--targets", Workspace.targetsDir])
        #expect(s5 == 2)
        #expect(e5.contains("recipe.yaml:6:"))
        #expect(e5.contains("google-edgetpu.yaml:"))
        #expect(e5.contains("int4"))
    }
}
