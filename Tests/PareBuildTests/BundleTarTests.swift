import Foundation
import Testing
import PareBasics
import PareBuild

/// `bundle.tar`: the archive is written only when asked for, but its SHA-256 and size identify the bundle either way.
@Suite struct BundleTarTests {
    static let targets = ["arm64-cortex-a78", "x86-64-avx2"]
    static func recipe(tar: Bool?) -> String {
        IncrementalBuildTests.recipe + (tar.map { "bundle: { tar: \($0) }\n" } ?? "")
    }

    /// The files and folders of `<dist>/t` but the no-op-rebuild stamps, sorted (so a leftover `.old-*` or
    /// temporary file shows).
    static func listing(_ dist: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dist + "/t")) ?? []).filter { !$0.hasSuffix(".stamp.json") }.sorted()
    }

    static let folders = ["\(targets[0])", "\(targets[1])"]
    static let folderAndTar = ["\(targets[0])", "\(targets[0]).tar", "\(targets[1])", "\(targets[1]).tar"]

    /// Default (absent), `tar: false` and `tar: true` report the same digests and sizes; only `tar: true` writes the
    /// archive, and its bytes are what the others report.
    @Test func withoutTarTheDigestIsThatOfTheArchiveNotWritten() throws {
        let ws = try Workspace(recipe: Self.recipe(tar: nil))
        let absent = try ws.build(cache: ws.dir + "/cacheA", dist: ws.dir + "/distA")
        try ws.writeRecipe(Self.recipe(tar: false))
        let off = try ws.build(cache: ws.dir + "/cacheB", dist: ws.dir + "/distB")
        try ws.writeRecipe(Self.recipe(tar: true))
        let on = try ws.build(cache: ws.dir + "/cacheC", dist: ws.dir + "/distC")

        for r in [absent, off, on] {
            #expect(r.executed == 6)
            #expect(r.bundles.map(\.target) == Self.targets)
        }
        #expect(Self.listing(ws.dir + "/distA") == Self.folders)
        #expect(Self.listing(ws.dir + "/distB") == Self.folders)
        #expect(Self.listing(ws.dir + "/distC") == Self.folderAndTar)
        #expect(absent.bundles.allSatisfy { $0.tar == nil })
        #expect(off.bundles.allSatisfy { $0.tar == nil })
        #expect(on.bundles.map(\.tar) == Self.targets.map { ws.dir + "/distC/t/\($0).tar" })

        #expect(off.bundles.map(\.sha256) == on.bundles.map(\.sha256))
        #expect(absent.bundles.map(\.sha256) == on.bundles.map(\.sha256))
        #expect(off.bundles.map(\.bytes) == on.bundles.map(\.bytes))
        for b in on.bundles {
            let archive = ws.read(try #require(b.tar))
            #expect(Digest.of(archive).hex == b.sha256)
            #expect(archive.count == b.bytes)
        }
        // The folders are the same bytes either way.
        for (x, y) in zip(off.bundles, on.bundles) {
            for f in ["model.safetensors", "manifest.json", "SHA256SUMS"] {
                #expect(ws.read(x.path + "/" + f) == ws.read(y.path + "/" + f), "\(f) differs")
            }
        }
        // --json prints "tar": null when the archive is not written.
        let json = String(decoding: try CanonicalJSON.encode(off.bundles[0]), as: UTF8.self)
        #expect(json.contains("\"tar\":null"), "\(json)")
        let onJSON = String(decoding: try CanonicalJSON.encode(on.bundles[0]), as: UTF8.self)
        #expect(onJSON.contains("\"tar\":\"\(ws.dir)/distC/t/\(Self.targets[0]).tar\""), "\(onJSON)")
    }

    /// true → false → true: each switch re-runs only the two bundle steps, removes or restores the archives, leaves
    /// nothing behind, and keeps the digests; a rebuild with no change runs nothing in either mode.
    @Test func switchingTarRerunsOnlyTheBundles() throws {
        let ws = try Workspace(recipe: Self.recipe(tar: true))
        let first = try ws.build()
        #expect(first.executed == 6)
        #expect(Self.listing(ws.distDir) == Self.folderAndTar)
        let again = try ws.build()
        #expect(again.executed == 0)
        #expect(again.cached == 6)

        try ws.writeRecipe(Self.recipe(tar: false))
        let off = try ws.build()
        #expect(off.executedIDs == ["bundle@arm64-cortex-a78", "bundle@x86-64-avx2"])
        #expect(off.executed == 2)
        #expect(off.cached == 4)
        #expect(Self.listing(ws.distDir) == Self.folders, "the archives of the tar: true build are removed")
        #expect(off.bundles.allSatisfy { $0.tar == nil })
        #expect(off.bundles.map(\.sha256) == first.bundles.map(\.sha256))
        let offAgain = try ws.build()
        #expect(offAgain.executed == 0)
        #expect(offAgain.cached == 6)
        #expect(offAgain.bundles.map(\.sha256) == first.bundles.map(\.sha256))

        try ws.writeRecipe(Self.recipe(tar: true))
        let on = try ws.build()
        #expect(on.executedIDs == ["bundle@arm64-cortex-a78", "bundle@x86-64-avx2"])
        #expect(on.cached == 4)
        #expect(Self.listing(ws.distDir) == Self.folderAndTar)
        for b in on.bundles {
            #expect(Digest.of(ws.read(try #require(b.tar))).hex == b.sha256)
        }
        #expect(on.bundles.map(\.sha256) == first.bundles.map(\.sha256))
        let onAgain = try ws.build()
        #expect(onAgain.executed == 0)
        #expect(onAgain.cached == 6)
    }

    /// Without `tar`, an archive found beside the bundle (left by hand or by an older pare) does not match what
    /// the build vouches for: the bundle step runs again and removes it.
    @Test func aStrayArchiveIsRemoved() throws {
        let ws = try Workspace(recipe: Self.recipe(tar: false))
        let first = try ws.build()
        let stray = ws.distDir + "/t/\(Self.targets[1]).tar"
        try Data("not the bundle".utf8).write(to: URL(fileURLWithPath: stray))
        let r = try ws.build()
        #expect(r.executedIDs == ["bundle@x86-64-avx2"])
        #expect(r.cached == 5)
        #expect(Self.listing(ws.distDir) == Self.folders)
        #expect(r.bundles.map(\.sha256) == first.bundles.map(\.sha256))
    }

    /// A removed archive is written again by a `tar: true` build; only that target's bundle step runs.
    @Test func aDeletedArchiveIsRewritten() throws {
        let ws = try Workspace(recipe: Self.recipe(tar: true))
        let first = try ws.build()
        try FileManager.default.removeItem(atPath: try #require(first.bundles[0].tar))
        let r = try ws.build()
        #expect(r.executedIDs == ["bundle@arm64-cortex-a78"])
        #expect(Self.listing(ws.distDir) == Self.folderAndTar)
        #expect(Digest.of(ws.read(try #require(r.bundles[0].tar))).hex == first.bundles[0].sha256)
    }

    /// `pare build` names the archive, or says none was written.
    @Test func humanOutputNamesTheArchiveOrItsAbsence() throws {
        let ws = try Workspace(recipe: Self.recipe(tar: false))
        let args = [Workspace.pareBinary, "build", "recipe.yaml", "--targets", Workspace.targetsDir, "--cache", ws.cacheDir, "--dist", "dist"]
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        let (s1, off, e1) = try Workspace.run(args, cwd: ws.dir, environment: env)
        #expect(s1 == 0, "\(e1)")
        #expect(off.contains("  arm64-cortex-a78: dist/t/arm64-cortex-a78  (no .tar, "), "\(off)")
        try ws.writeRecipe(Self.recipe(tar: true))
        let (s2, on, e2) = try Workspace.run(args, cwd: ws.dir, environment: env)
        #expect(s2 == 0, "\(e2)")
        #expect(on.contains("  arm64-cortex-a78: dist/t/arm64-cortex-a78  (dist/t/arm64-cortex-a78.tar, "), "\(on)")
    }
}
