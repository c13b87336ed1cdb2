import Foundation
import PareBasics
import Testing
@testable import PareFormats

/// `DeterministicTar.digest` must describe exactly the bytes `write` writes, without writing anything.
@Suite struct DeterministicTarDigestTests {
    /// One seeded entry set: `sizes` are the file sizes (nil: a random size in 0...3 × 512), names are nested
    /// to various depths (so the archive has folders), sources alternate between files and inline bytes.
    struct Case: Sendable, CustomTestStringConvertible {
        var label: String
        var seed: UInt64
        var sizes: [Int?]
        var mtime = 0
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        .init(label: "one empty file", seed: 1, sizes: [0]),
        .init(label: "empty files and folders", seed: 2, sizes: [0, 0, 0, 0]),
        .init(label: "around one block", seed: 3, sizes: [511, 512, 513, 1]),
        .init(label: "around two blocks", seed: 4, sizes: [1023, 1024, 1025], mtime: 1_700_000_000),
        .init(label: "ends exactly on a record", seed: 5, sizes: [10240 - 3 * 512 - 1024]),
        .init(label: "one byte past a record", seed: 6, sizes: [10240 - 3 * 512 - 1024 + 1]),
        .init(label: "random sizes", seed: 7, sizes: [nil, nil, nil, nil, nil, nil, nil, nil], mtime: 42),
        .init(label: "over one read chunk", seed: 8, sizes: [FileReader.chunkSize + 513, 512, 0]),
    ]

    /// The entries of a case; file sources are written into `dir`.
    static func entries(_ c: Case, dir: String) throws -> [DeterministicTar.Entry] {
        var rng = SplitMix64(seed: c.seed)
        var entries: [DeterministicTar.Entry] = []
        for (i, size) in c.sizes.enumerated() {
            let n = size ?? Int.random(in: 0...1536, using: &rng)
            // Large files get a cheap pattern; small ones random bytes.
            let bytes = n > 65536 ? (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(c.seed)) } : rng.bytes(n)
            let depth = Int.random(in: 0...3, using: &rng)
            let name = (0..<depth).map { "d\($0)-\(i % 2)" }.joined(separator: "/") + (depth == 0 ? "" : "/") + "f\(i).bin"
            if i % 2 == 0 {
                let p = "\(dir)/src\(i).bin"
                try TemporaryDirectory.write(bytes, to: p)
                entries.append(.init(name: name, source: .file(path: p)))
            } else {
                entries.append(.init(name: name, source: .bytes(bytes)))
            }
        }
        return entries
    }

    @Test(arguments: cases)
    func digestIsTheSHA256OfTheWrittenArchive(_ c: Case) throws {
        try TemporaryDirectory.with { dir in
            let entries = try Self.entries(c, dir: dir)
            let path = dir + "/bundle.tar"
            let summary = try DeterministicTar.digest(of: entries, mtime: c.mtime, path: path)
            #expect(!FileManager.default.fileExists(atPath: path), "digest must not write the archive")
            try DeterministicTar.write(to: path, entries: entries, mtime: c.mtime)
            let written = try TemporaryDirectory.read(path)
            #expect(summary.bytes == written.count)
            #expect(summary.sha256 == Digest.of(written))
            #expect(summary.sha256 == (try FileDigest.of(path: path)))
            #expect(summary.bytes % 10240 == 0)
        }
    }

    @Test func digestFollowsContentAndMTime() throws {
        try TemporaryDirectory.with { dir in
            let a = try DeterministicTar.digest(of: [.init(name: "x/a", source: .bytes([1, 2, 3]))], mtime: 0, path: dir + "/a.tar")
            let b = try DeterministicTar.digest(of: [.init(name: "x/a", source: .bytes([1, 2, 4]))], mtime: 0, path: dir + "/a.tar")
            let c = try DeterministicTar.digest(of: [.init(name: "x/a", source: .bytes([1, 2, 3]))], mtime: 1, path: dir + "/a.tar")
            #expect(a != b && a != c && b != c)
            #expect(a.bytes == 10240)
        }
    }

    @Test(arguments: DeterministicTarTests.badCases)
    func digestRejectsWhatWriteRejects(_ c: DeterministicTarTests.BadCase) throws {
        try TemporaryDirectory.with { dir in
            let path = dir + "/x.tar"
            let error = try #require(throws: FormatError.self) {
                try DeterministicTar.digest(of: c.names.map { .init(name: $0, source: .bytes([1])) }, mtime: c.mtime, path: path)
            }
            #expect(error.file == path)
            #expect(error.description.contains(c.fragment), "\(error)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        }
    }

    @Test func digestNamesAMissingSource() throws {
        try TemporaryDirectory.with { dir in
            let error = try #require(throws: FormatError.self) {
                try DeterministicTar.digest(of: [.init(name: "m", source: .file(path: dir + "/missing.bin"))], mtime: 0, path: dir + "/x.tar")
            }
            #expect(error.file == dir + "/missing.bin")
            #expect(error.message.contains("no such file"))
        }
    }
}
