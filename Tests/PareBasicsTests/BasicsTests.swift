import Foundation
import Testing
@testable import PareBasics

@Suite struct DigestTests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ])
    func knownVectors(input: String, hex: String) {
        #expect(Digest.of(input).hex == hex)
        #expect(Digest(hex: hex)?.hex == hex)
    }

    @Test(arguments: ["", "xyz", String(repeating: "0", count: 63), String(repeating: "g", count: 64), String(repeating: "A", count: 64)])
    func malformedHexIsRejected(text: String) {
        #expect(Digest(hex: text) == nil)
    }

    @Test func incrementalEqualsOneShot() {
        var rng = SplitMix64(seed: 11)
        let bytes = (0..<10_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        var h = DigestHasher()
        h.update(Array(bytes[..<3333]))
        h.update(Array(bytes[3333...]))
        #expect(h.finalize() == Digest.of(bytes))
    }

    @Test func fileDigestStreamsLargeFiles() throws {
        let path = NSTemporaryDirectory() + "pare-digest-\(UUID().uuidString)"
        defer { unlink(path) }
        var rng = SplitMix64(seed: 5)
        let bytes = (0..<(9 << 20)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(try FileDigest.of(path: path) == Digest.of(bytes))
    }
}

@Suite struct CanonicalJSONTests {
    struct Sample: Codable { var b: Int; var a: [String: Double]; var c: String }

    @Test func keysAreSortedAndStable() throws {
        let v = Sample(b: 1, a: ["z": 1.5, "y": 2], c: "a/b")
        let text = String(decoding: try CanonicalJSON.encode(v), as: UTF8.self)
        #expect(text == #"{"a":{"y":2,"z":1.5},"b":1,"c":"a/b"}"#)
        #expect(try CanonicalJSON.digest(v) == Digest.of(text))
    }

    @Test func nonFiniteNumbersRoundTrip() throws {
        let data = try CanonicalJSON.encode([Double.infinity, -.infinity, 1])
        #expect(String(decoding: data, as: UTF8.self) == #"["inf","-inf",1]"#)
        #expect(try CanonicalJSON.decode([Double].self, from: data) == [.infinity, -.infinity, 1])
    }
}

@Suite struct GlobTests {
    @Test(arguments: [
        ("*", "anything", true), ("*mlp*", "layers.0.mlp.up.weight", true), ("*mlp*", "layers.0.attn.q", false),
        ("layers.?.attn*", "layers.3.attn.k", true), ("layers.?.attn*", "layers.12.attn.k", false),
        ("[ab]*", "alpha", true), ("[!ab]*", "alpha", false), ("[a-c]x", "bx", true), ("[a-c]x", "dx", false),
        ("*.weight", "fc.bias", false), ("fc.*.weight", "fc.1.weight", true), ("", "", true), ("", "a", false),
        ("a*b*c", "aXbYc", true), ("a*b*c", "aXbY", false), ("[", "[", true),
    ])
    func matches(pattern: String, name: String, expected: Bool) {
        #expect(Glob(pattern).matches(name) == expected)
    }
}

@Suite struct SuggestionTests {
    @Test(arguments: [("pases", "passes"), ("quantise", "quantize"), ("x86-64-avx3", "x86-64-avx2"), ("zzzzzz", nil)] as [(String, String?)])
    func closest(word: String, expected: String?) {
        #expect(Suggestion.closest(to: word, in: ["passes", "quantize", "prune", "x86-64-avx2", "targets"]) == expected)
    }

    @Test func editDistance() {
        #expect(Suggestion.editDistance("kitten", "sitting") == 3)
        #expect(Suggestion.editDistance("", "abc") == 3)
    }
}

@Suite struct GraphTests {
    @Test func stableTopologicalOrder() {
        // 0 → 2, 1 → 2, 2 → 3; 4 alone
        let order = Graph.topologicalOrder(nodeCount: 5, successors: [[2], [2], [3], [], []])
        #expect(order == [0, 1, 2, 3, 4])
        #expect(Graph.findCycle(nodeCount: 5, successors: [[2], [2], [3], [], []]) == nil)
    }

    @Test func cyclesAreFound() {
        let edges = [[1], [2], [0], []]
        #expect(Graph.topologicalOrder(nodeCount: 4, successors: edges) == nil)
        #expect(Graph.findCycle(nodeCount: 4, successors: edges) == [0, 1, 2, 0])
    }
}

@Suite struct ByteCountTests {
    @Test(arguments: [("123", 123), ("10K", 10240), ("500M", 500 << 20), ("2G", 2 << 30), ("1.5GiB", 3 << 29), ("64MB", 64 << 20)] as [(String, Int)])
    func parses(text: String, bytes: Int) { #expect(ByteCount.parse(text) == bytes) }

    @Test(arguments: ["", "lots", "-1", "1X", "M"])
    func rejects(text: String) { #expect(ByteCount.parse(text) == nil) }
}

@Suite struct AtomicFileTests {
    @Test func writeReplacesAndLeavesNoTemporaryFiles() throws {
        let dir = NSTemporaryDirectory() + "pare-atomic-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/sub/file.txt"
        try AtomicFile.write(Data("one".utf8), to: path)
        try AtomicFile.write(Data("two".utf8), to: path)
        #expect(FileManager.default.contents(atPath: path) == Data("two".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/sub") == ["file.txt"])
    }

    @Test func failedBodyLeavesNothing() throws {
        let dir = NSTemporaryDirectory() + "pare-atomic-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        struct Boom: Error {}
        #expect(throws: Boom.self) { try AtomicFile.write(to: dir + "/x") { _ in throw Boom() } }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func unwritableFolderIsAClearError() {
        #expect(throws: AtomicFile.WriteError.self) { try AtomicFile.write(Data(), to: "/proc/pare-cannot-write/x") }
    }
}

