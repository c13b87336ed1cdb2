import Foundation
import PareBasics
import Testing
@testable import PareFormats

@Suite struct DeterministicTarTests {
    /// A bundle-like set of entries: inline and file sources, sizes around block boundaries, nested folders,
    /// and a name over 100 bytes (ustar prefix field).
    static func entries(seed: UInt64, dir: String) throws -> (entries: [DeterministicTar.Entry], contents: [String: [UInt8]]) {
        var rng = SplitMix64(seed: seed)
        let longFolder = String(repeating: "f", count: 70), longFile = String(repeating: "n", count: 60) + ".bin"
        let names = ["kbd/hexagon-v73/model.safetensors", "kbd/hexagon-v73/manifest.json", "kbd/arm64-cpu/model.safetensors",
                     "SHA256SUMS", "kbd/a-b.txt", "kbd/\(longFolder)/\(longFile)", "empty.txt", "kbd/arm64-cpu/deep/er/x.bin"]
        let sizes = [511, 512, 513, 0, 1, Int.random(in: 0...3000, using: &rng), 0, Int.random(in: 20_000...40_000, using: &rng)]
        var entries: [DeterministicTar.Entry] = []
        var contents: [String: [UInt8]] = [:]
        for (i, (name, size)) in zip(names, sizes).enumerated() {
            let bytes = rng.bytes(size)
            contents[name] = bytes
            if i % 2 == 0 {
                let p = dir + "/src\(i).bin"
                try TemporaryDirectory.write(bytes, to: p)
                entries.append(.init(name: name, source: .file(path: p)))
            } else {
                entries.append(.init(name: name, source: .bytes(bytes)))
            }
        }
        return (entries.shuffled(using: &rng), contents)
    }

    static func expectedFolders(_ names: some Sequence<String>) -> Set<String> {
        var out = Set<String>()
        for n in names {
            let parts = n.split(separator: "/")
            for k in 1..<parts.count { out.insert(parts[0..<k].joined(separator: "/")) }
        }
        return out
    }

    @Test(arguments: [(UInt64(1), 0), (UInt64(2), 1_700_000_000)])
    func pythonTarfileReadsIt(seed: UInt64, mtime: Int) throws {
        try TemporaryDirectory.with { dir in
            let (entries, contents) = try Self.entries(seed: seed, dir: dir)
            let path = dir + "/bundle.tar"
            try DeterministicTar.write(to: path, entries: entries, mtime: mtime)
            let code = #"""
import sys, tarfile, hashlib, json
with tarfile.open(sys.argv[1], "r:") as t:
    for m in t.getmembers():
        data = t.extractfile(m).read() if m.isfile() else b""
        print(json.dumps({"name": m.name, "dir": m.isdir(), "file": m.isfile(), "size": m.size, "mtime": m.mtime,
                          "uid": m.uid, "gid": m.gid, "uname": m.uname, "gname": m.gname, "mode": m.mode,
                          "sha256": hashlib.sha256(data).hexdigest(), "format": t.format}))
"""#
            let members = try TestProcess.jsonLines(try TestProcess.pythonSnippet(code, [path]))
            let folders = Self.expectedFolders(contents.keys)
            let names = members.map { $0["name"] as! String }
            #expect(Set(names) == Set(contents.keys).union(folders))
            #expect(names.count == contents.count + folders.count)
            for m in members {
                let name = m["name"] as! String
                #expect(m["mtime"] as? Int == mtime)
                #expect(m["uid"] as? Int == 0 && m["gid"] as? Int == 0)
                #expect(m["uname"] as? String == "root" && m["gname"] as? String == "root")
                if folders.contains(name) {
                    #expect(m["dir"] as? Bool == true, "\(name)")
                    #expect(m["mode"] as? Int == 0o755)
                } else {
                    #expect(m["file"] as? Bool == true, "\(name)")
                    #expect(m["mode"] as? Int == 0o644)
                    #expect(m["size"] as? Int == contents[name]!.count)
                    #expect(m["sha256"] as? String == Digest.of(contents[name]!).hex, "\(name)")
                }
            }
            // Every folder precedes its contents.
            for (i, n) in names.enumerated() where folders.contains(n) {
                #expect(!names[..<i].contains { $0.hasPrefix(n + "/") }, "\(n) comes after its contents")
            }
            let size = try TemporaryDirectory.read(path).count
            #expect(size % 10240 == 0)
        }
    }

    @Test(arguments: [(0, "1970-01-01 00:00"), (1_700_000_000, "2023-11-14 22:13")])
    func gnuTarListsSortedNamesWithFixedOwnerAndTime(mtime: Int, date: String) throws {
        try TemporaryDirectory.with { dir in
            let (entries, contents) = try Self.entries(seed: 3, dir: dir)
            let path = dir + "/bundle.tar"
            try DeterministicTar.write(to: path, entries: entries, mtime: mtime)
            let r = try TestProcess.run(["tar", "-tvf", path], environment: ["LC_ALL": "C", "TZ": "UTC"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.isEmpty, "\(r.stderr)")
            var names: [String] = []
            for line in r.lines {
                // drwxr-xr-x root/root         0 1970-01-01 00:00 kbd/
                let f = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                try #require(f.count == 6, "\(line)")
                #expect(f[1] == "root/root", "\(line)")
                #expect(f[3] + " " + f[4] == date, "\(line)")
                let name = f[5]
                names.append(name)
                if name.hasSuffix("/") {
                    #expect(f[0] == "drwxr-xr-x", "\(line)")
                    #expect(f[2] == "0")
                } else {
                    #expect(f[0] == "-rw-r--r--", "\(line)")
                    #expect(Int(f[2]) == contents[name]?.count, "\(line)")
                }
            }
            #expect(names == names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
            #expect(names.filter { !$0.hasSuffix("/") }.count == contents.count)
            #expect(names.contains("kbd/" + String(repeating: "f", count: 70) + "/" + String(repeating: "n", count: 60) + ".bin"))
        }
    }

    @Test(arguments: [7, 8] as [UInt64])
    func outputIsByteIdentical(seed: UInt64) throws {
        try TemporaryDirectory.with { dir in
            let (entries, _) = try Self.entries(seed: seed, dir: dir)
            var rng = SplitMix64(seed: seed)
            try DeterministicTar.write(to: dir + "/a.tar", entries: entries, mtime: 1234)
            try DeterministicTar.write(to: dir + "/b.tar", entries: entries.shuffled(using: &rng), mtime: 1234)
            // Source files' own times and permissions do not leak into the archive.
            for case .file(let p) in entries.map(\.source) {
                try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 42), .posixPermissions: 0o600], ofItemAtPath: p)
            }
            try DeterministicTar.write(to: dir + "/c.tar", entries: entries, mtime: 1234)
            let a = try TemporaryDirectory.read(dir + "/a.tar")
            #expect(a == (try TemporaryDirectory.read(dir + "/b.tar")))
            #expect(a == (try TemporaryDirectory.read(dir + "/c.tar")))
            try DeterministicTar.write(to: dir + "/d.tar", entries: entries, mtime: 1235)
            #expect(a != (try TemporaryDirectory.read(dir + "/d.tar")))
        }
    }

    @Test func headerLayout() throws {
        let h = try DeterministicTar.header(name: "a/b.txt", size: 513, isDirectory: false, mtime: 0o1234, path: "x.tar")
        #expect(h.count == 512)
        func field(_ o: Int, _ n: Int) -> [UInt8] { Array(h[o..<(o + n)]) }
        #expect(field(0, 8) == Array("a/b.txt".utf8) + [0])
        #expect(field(100, 8) == Array("0000644".utf8) + [0])
        #expect(field(124, 12) == Array("00000001001".utf8) + [0])
        #expect(field(136, 12) == Array("00000001234".utf8) + [0])
        #expect(h[156] == UInt8(ascii: "0"))
        #expect(field(257, 8) == Array("ustar".utf8) + [0] + Array("00".utf8))
        #expect(field(265, 5) == Array("root".utf8) + [0])
        // Checksum: sum of all bytes with the checksum field read as spaces, 6 octal digits, NUL, space.
        var blank = h
        for i in 148..<156 { blank[i] = 0x20 }
        let sum = blank.reduce(0) { $0 + Int($1) }
        let digits = String(sum, radix: 8)
        #expect(field(148, 8) == Array((String(repeating: "0", count: 6 - digits.count) + digits).utf8) + [0, 0x20])
    }

    @Test(arguments: [
        (String(repeating: "a", count: 100), "", String(repeating: "a", count: 100)),
        ("p/" + String(repeating: "a", count: 100), "p", String(repeating: "a", count: 100)),
        (String(repeating: "d", count: 155) + "/" + String(repeating: "a", count: 99), String(repeating: "d", count: 155), String(repeating: "a", count: 99)),
        ("x/" + String(repeating: "d", count: 98) + "/", "x", String(repeating: "d", count: 98) + "/"),
        ("x/y/" + String(repeating: "d", count: 97) + "/z", "x/y/" + String(repeating: "d", count: 97), "z"),
    ])
    func longNamesUseThePrefixField(name: String, prefix: String, rest: String) throws {
        let split = try DeterministicTar.splitName(name, path: "x.tar")
        #expect(split.prefix == Array(prefix.utf8))
        #expect(split.name == Array(rest.utf8))
    }

    struct BadCase: Sendable, CustomTestStringConvertible {
        var label: String
        var names: [String]
        var mtime = 0
        var fragment: String
        var testDescription: String { label }
    }

    static let badCases: [BadCase] = [
        .init(label: "over 255 bytes", names: [String(repeating: "d/", count: 128) + "x"], fragment: "over ustar's 255-byte limit"),
        .init(label: "unsplittable", names: [String(repeating: "n", count: 120)], fragment: "cannot be split at a '/'"),
        .init(label: "rest over 100", names: ["d/" + String(repeating: "n", count: 150)], fragment: "cannot be split"),
        .init(label: "absolute", names: ["/etc/passwd"], fragment: "absolute name"),
        .init(label: "dot-dot", names: ["a/../b"], fragment: "'..' component"),
        .init(label: "dot", names: ["./a"], fragment: "'.' or '..' component"),
        .init(label: "empty component", names: ["a//b"], fragment: "empty"),
        .init(label: "trailing slash", names: ["a/"], fragment: "ends with '/'"),
        .init(label: "empty", names: [""], fragment: "empty name"),
        .init(label: "duplicate", names: ["a", "b", "a"], fragment: "entry 'a': appears twice"),
        .init(label: "file and folder", names: ["a/b", "a"], fragment: "entry 'a': is both a file and the folder"),
        .init(label: "negative mtime", names: ["a"], mtime: -1, fragment: "mtime -1 is outside"),
        .init(label: "mtime too large", names: ["a"], mtime: 1 << 33, fragment: "mtime 8589934592 is outside"),
    ]

    @Test(arguments: badCases)
    func rejectsBadEntries(_ c: BadCase) throws {
        try TemporaryDirectory.with { dir in
            let path = dir + "/x.tar"
            let error = try #require(throws: FormatError.self) {
                try DeterministicTar.write(to: path, entries: c.names.map { .init(name: $0, source: .bytes([1])) }, mtime: c.mtime)
            }
            #expect(error.file == path)
            #expect(error.description.contains(c.fragment), "\(error)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        }
    }

    @Test func missingSourceFileIsAnError() throws {
        try TemporaryDirectory.with { dir in
            let error = try #require(throws: FormatError.self) {
                try DeterministicTar.write(to: dir + "/x.tar", entries: [.init(name: "m", source: .file(path: dir + "/missing.bin"))], mtime: 0)
            }
            #expect(error.file == dir + "/missing.bin")
            #expect(error.message.contains("no such file"))
        }
    }

    @Test(arguments: [
        ([:], 0), (["SOURCE_DATE_EPOCH": "1700000000"], 1_700_000_000), (["SOURCE_DATE_EPOCH": "0"], 0),
        (["SOURCE_DATE_EPOCH": ""], 0), (["SOURCE_DATE_EPOCH": "abc"], 0), (["SOURCE_DATE_EPOCH": "-5"], 0),
        (["SOURCE_DATE_EPOCH": " 12"], 0), (["SOURCE_DATE_EPOCH": "12.5"], 0), (["SOURCE_DATE_EPOCH": "99999999999999999999"], 0),
        (["SOURCE_DATE_EPOCH": "8589934591"], 8_589_934_591), (["SOURCE_DATE_EPOCH": "8589934592"], 0), (["OTHER": "5"], 0),
    ] as [([String: String], Int)])
    func defaultMTime(environment: [String: String], expected: Int) {
        #expect(DeterministicTar.defaultMTime(environment: environment) == expected)
    }
}
