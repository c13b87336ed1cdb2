import Foundation
import Testing
import PareBasics
import PareBuild

@Suite struct DeterminismTests {
    static let recipe = """
    recipe: det
    model: { path: models/model.safetensors }
    targets: [arm64-cortex-a78, x86-64-avx2]
    passes:
      - prune: { sparsity: 0.3, scope: global }
      - cast: { dtype: fp16, include: ["embed.weight"] }
      - quantize:
          exclude: ["embed.weight"]
          weights: { dtype: uint8, granularity: per-channel, symmetric: false }
          overrides:
            - match: "*attn*"
              weights: { dtype: int4, granularity: per-group, group: 32 }
    bundle: { tar: true }

    """

    /// Clean builds with different caches, folders and worker counts give byte-identical bundles.
    @Test(arguments: [(1, 2), (2, 2), (1, 1)])
    func bundlesAreByteIdentical(jobsA: Int, jobsB: Int) throws {
        let ws = try Workspace(recipe: Self.recipe)
        let a = try ws.build(jobs: jobsA, cache: ws.dir + "/cacheA", dist: ws.dir + "/distA")
        let b = try ws.build(jobs: jobsB, cache: ws.dir + "/cacheB", dist: ws.dir + "/distB")
        #expect(a.executed == b.executed)
        #expect(a.bundles.map(\.sha256) == b.bundles.map(\.sha256))
        for (x, y) in zip(a.bundles, b.bundles) {
            for f in ["model.safetensors", "manifest.json", "SHA256SUMS"] {
                #expect(ws.read(x.path + "/" + f) == ws.read(y.path + "/" + f), "\(f) differs")
            }
            let (tx, ty) = (try #require(x.tar), try #require(y.tar))
            #expect(ws.read(tx) == ws.read(ty))
            #expect(Digest.of(ws.read(tx)).hex == x.sha256)
        }
    }

    @Test func sha256sumsMatchFiles() throws {
        let ws = try Workspace(recipe: Self.recipe)
        let r = try ws.build()
        for b in r.bundles {
            let sums = String(decoding: ws.read(b.path + "/SHA256SUMS"), as: UTF8.self)
            let lines = sums.split(separator: "\n")
            #expect(lines.count == 2)
            for line in lines {
                let parts = line.split(separator: " ", omittingEmptySubsequences: true)
                #expect(Digest.of(ws.read(b.path + "/" + parts[1])).hex == String(parts[0]))
            }
            let (status, out, err) = try Workspace.run(["/usr/bin/tar", "-tvf", try #require(b.tar)])
            #expect(status == 0, "\(err)")
            #expect(out.contains("\(b.target)/model.safetensors"))
            #expect(out.contains("1970-01-01"))
        }
    }

    @Test func globalPruningHitsTheExactSparsity() throws {
        let ws = try Workspace(recipe: Self.recipe)
        let r = try ws.build()
        let manifest = try JSONSerialization.jsonObject(with: ws.read(r.bundles[0].path + "/manifest.json")) as! [String: Any]
        let tensors = manifest["tensors"] as! [[String: Any]]
        var zeros = 0.0, total = 0
        for t in tensors where (t["shape"] as! [Int]).count == 2 {
            let n = (t["shape"] as! [Int]).reduce(1, *)
            total += n
            zeros += (t["sparsity"] as? Double ?? 0) * Double(n)
        }
        #expect(abs(zeros - (0.3 * Double(total)).rounded(.down)) < 0.5)
    }
}
