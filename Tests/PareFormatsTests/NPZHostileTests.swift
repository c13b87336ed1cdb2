import Foundation
import PareBasics
import Testing
@testable import PareFormats

/// Hostile `.npy` and `.npz` input: every case is a clear `FormatError` naming the problem, never a crash.
@Suite("NPZ: hostile input")
struct NPZHostileTests {
    typealias S = NPZTestSupport
    static let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
    static let six = [UInt8](repeating: 0, count: 24)

    struct NPYCase: Sendable, CustomTestStringConvertible {
        var label: String
        var bytes: [UInt8]
        var fragment: String
        var testDescription: String { label }
    }

    static let npyCases: [NPYCase] = [
        NPYCase(label: "empty", bytes: [], fragment: "too short"),
        NPYCase(label: "bad magic", bytes: Array("PK\u{3}\u{4}NUMPY0123456789".utf8), fragment: "magic"),
        NPYCase(label: "version 4.0", bytes: S.npy(header: header, data: six, version: 4), fragment: "version 4.0"),
        NPYCase(label: "header length past the end", bytes: S.npy(header: header, data: six, headerLength: 5000), fragment: "runs past the end"),
        NPYCase(label: "header length 4 GiB (v2)", bytes: S.npy(header: header, data: six, version: 2, headerLength: 0xFFFF_FFFF), fragment: "limit"),
        NPYCase(label: "non-ASCII header", bytes: S.npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'é': 1}", data: six), fragment: "not ASCII"),
        NPYCase(label: "not a dict", bytes: S.npy(header: "['<f4']", data: six), fragment: "not a dict"),
        NPYCase(label: "garbage header", bytes: S.npy(header: "{'descr': <f4}", data: six), fragment: "not a Python dict literal"),
        NPYCase(label: "missing shape", bytes: S.npy(header: "{'descr': '<f4', 'fortran_order': False}", data: six), fragment: "no 'shape'"),
        NPYCase(label: "extra key", bytes: S.npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 1}", data: six), fragment: "unexpected key 'x'"),
        NPYCase(label: "shape is a list", bytes: S.npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': [6]}", data: six), fragment: "not a tuple"),
        NPYCase(label: "negative dimension", bytes: S.npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (-2, -3)}", data: six), fragment: "negative"),
        NPYCase(label: "huge shape overflows", bytes: S.npy(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4611686018427387904)}", data: six), fragment: "more elements than can be addressed"),
        NPYCase(label: "huge byte count overflows", bytes: S.npy(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904,)}", data: six), fragment: "more elements than can be addressed"),
        NPYCase(label: "integer too large", bytes: S.npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,)}", data: six), fragment: "integer too large"),
        NPYCase(label: "huge declared shape, small file", bytes: S.npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776,)}", data: six), fragment: "only 24 follow"),
        NPYCase(label: "trailing bytes", bytes: S.npy(header: header, data: six + [1]), fragment: "1 bytes follow the data"),
        NPYCase(label: "big-endian", bytes: S.npy(header: "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", data: six), fragment: "big-endian"),
        NPYCase(label: "object array", bytes: S.npy(header: "{'descr': '|O', 'fortran_order': False, 'shape': (3,), }", data: six), fragment: "Python objects"),
        NPYCase(label: "complex", bytes: S.npy(header: "{'descr': '<c8', 'fortran_order': False, 'shape': (3,), }", data: six), fragment: "does not read"),
        NPYCase(label: "structured", bytes: S.npy(header: "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,), }", data: six), fragment: "structured"),
        NPYCase(label: "fortran_order not a bool", bytes: S.npy(header: "{'descr': '<f4', 'fortran_order': 0, 'shape': (6,), }", data: six), fragment: "not True or False"),
        NPYCase(label: "deep nesting", bytes: S.npy(header: String(repeating: "(", count: 40), data: six), fragment: "nested"),
        NPYCase(label: "rank 65", bytes: S.npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (\(Array(repeating: "1", count: 65).joined(separator: ","))), }", data: six), fragment: "65 dimensions"),
    ]

    @Test("hostile .npy files", arguments: npyCases)
    func hostileNPY(c: NPYCase) throws {
        try TemporaryDirectory.with { dir in
            let path = try S.write(c.bytes, dir, "x.npy")
            let e = S.formatError { _ = try NPYArray.load(path: path) }
            #expect(e?.file == path)
            #expect(e?.message.contains(c.fragment) == true, "\(e?.message ?? "")")
        }
    }

    @Test("a .npy truncated at every offset is an error")
    func truncatedNPY() throws {
        let full = S.npyFloat32([1, 2, 3, 4, 5, 6], shape: [2, 3])
        #expect(try TemporaryDirectory.with { dir in try NPYArray.load(path: try S.write(full, dir, "ok.npy")).floats() } == [1, 2, 3, 4, 5, 6])
        for n in 0..<full.count {
            let e = full.withUnsafeBytes { b in S.formatError { _ = try NPYArray.read(UnsafeRawBufferPointer(rebasing: b[0..<n]), owner: nil, file: "t.npy", member: nil) } }
            #expect(e != nil, "prefix of \(n) bytes")
        }
    }

    @Test("an .npz truncated at every offset is an error", arguments: [false, true])
    func truncatedNPZ(compressed: Bool) throws {
        try TemporaryDirectory.with { dir in
            _ = try TestProcess.pythonSnippet("""
            import numpy as np, sys
            f = np.savez_compressed if sys.argv[2] == '1' else np.savez
            f(sys.argv[1], a=np.arange(6, dtype=np.float32).reshape(2, 3), b=np.array(7, np.int8))
            """, [dir + "/t.npz", compressed ? "1" : "0"])
            let full = try TemporaryDirectory.read(dir + "/t.npz")
            let ok = try NPZFile(path: dir + "/t.npz")
            #expect(try ok.array("a").floats() == [0, 1, 2, 3, 4, 5])
            for n in 0..<full.count {
                let path = try S.write(Array(full[0..<n]), dir, "cut.npz")
                let e = S.formatError {
                    let z = try NPZFile(path: path)
                    for k in z.keys { _ = try z.array(k) }
                }
                #expect(e?.file == path, "prefix of \(n) bytes")
            }
        }
    }

    @Test("a corrupted stored member fails its CRC-32 check; a corrupted deflated one fails CRC or inflate")
    func corruptedData() throws {
        try TemporaryDirectory.with { dir in
            let npy = S.npyFloat32([1, 2, 3, 4], shape: [4])
            var zip = S.zip([("x.npy", npy)])
            zip[30 + 5 + npy.count - 1] ^= 0x40  // last data byte of the member
            let path = try S.write(zip, dir, "bad.npz")
            let z = try NPZFile(path: path)
            let e = S.formatError { _ = try z.array("x") }
            #expect(e?.message.contains("member 'x.npy': CRC-32") == true, "\(e?.description ?? "")")

            _ = try TestProcess.pythonSnippet("import numpy as np, sys; np.savez_compressed(sys.argv[1], x=np.arange(4096, dtype=np.float32))", [dir + "/c.npz"])
            var c = try TemporaryDirectory.read(dir + "/c.npz")
            let entry = try ZipArchive(path: dir + "/c.npz").entries[0]
            for k in stride(from: entry.dataOffset + entry.compressedSize / 2, to: entry.dataOffset + entry.compressedSize / 2 + 8, by: 1) { c[k] ^= 0xA5 }
            let cpath = try S.write(c, dir, "cbad.npz")
            let e2 = S.formatError { _ = try NPZFile(path: cpath).array("x") }
            #expect(e2?.message.contains("member 'x.npy'") == true, "\(e2?.description ?? "")")
        }
    }

    @Test("zip structure attacks", arguments: ["bomb", "ratio", "overlap", "unsafe name", "duplicate", "not npy", "method", "encrypted", "local name"])
    func zipAttacks(kind: String) throws {
        try TemporaryDirectory.with { dir in
            let npy = S.npyFloat32([1, 2], shape: [2])
            var bytes: [UInt8]
            var fragment: String
            switch kind {
            case "bomb", "ratio":
                _ = try TestProcess.pythonSnippet("import numpy as np, sys; np.savez_compressed(sys.argv[1], x=np.zeros(1 << 20, np.float32))", [dir + "/z.npz"])
                bytes = try TemporaryDirectory.read(dir + "/z.npz")
                let e = try ZipArchive(path: dir + "/z.npz").entries[0]
                // Patch the declared uncompressed size in the central directory entry (the first one).
                let cd = try centralOffset(bytes)
                let size: UInt32 = kind == "bomb" ? 1000 : 0xF000_0000
                #expect(e.uncompressedSize > 1000)
                bytes.replaceSubrange(cd + 24..<cd + 28, with: S.le32(size))
                fragment = kind == "bomb" ? "follow the header" : "more than deflate can produce"
            case "overlap":
                bytes = S.zip([("a.npy", npy), ("b.npy", npy)])
                let cd = try centralOffset(bytes)
                let grow = S.le32(UInt32(npy.count + 10))
                bytes.replaceSubrange(cd + 20..<cd + 24, with: grow)
                bytes.replaceSubrange(cd + 24..<cd + 28, with: grow)
                fragment = "overlaps member 'a.npy'"
            case "unsafe name": bytes = S.zip([("../evil.npy", npy)]); fragment = "unsafe or invalid name"
            case "duplicate": bytes = S.zip([("a.npy", npy), ("a.npy", npy)]); fragment = "appears twice"
            case "not npy": bytes = S.zip([("a.txt", npy)]); fragment = "is not a .npy array"
            case "method", "encrypted":
                bytes = S.zip([("a.npy", npy)])
                let cd = try centralOffset(bytes)
                if kind == "method" { bytes[cd + 10] = 14 } else { bytes[cd + 8] = 1 }
                fragment = kind == "method" ? "zip method 14" : "encrypted"
            default:
                bytes = S.zip([("a.npy", npy)])
                bytes[30] = UInt8(ascii: "b")
                fragment = "names a different member"
            }
            let path = try S.write(bytes, dir, "attack.npz")
            let e = S.formatError {
                let z = try NPZFile(path: path)
                for k in z.keys { _ = try z.array(k) }
            }
            let matched = fragment.split(separator: "|").contains { e?.message.contains($0) == true }
            #expect(matched, "\(kind): \(e?.description ?? "")")
        }
    }

    @Test("inflating is capped at the declared size and must reach it")
    func inflateCap() throws {
        try TemporaryDirectory.with { dir in
            _ = try TestProcess.pythonSnippet("import numpy as np, sys; np.savez_compressed(sys.argv[1], x=np.zeros(1 << 20, np.float32))", [dir + "/z.npz"])
            let z = try ZipArchive(path: dir + "/z.npz")
            let e = z.entries[0]
            let stored = try TemporaryDirectory.read(dir + "/z.npz")[e.dataRange]
            for (size, fragment) in [(e.uncompressedSize - 1, "inflates past its declared size"), (e.uncompressedSize + 1, "inflates to \(e.uncompressedSize) bytes")] {
                let err = Array(stored).withUnsafeBytes { src in
                    S.formatError {
                        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
                        defer { out.deallocate() }
                        _ = try ZipArchive.inflate(src, into: out, whole: true, path: "z.npz", member: e.name)
                    }
                }
                #expect(err?.message.contains(fragment) == true, "\(size): \(err?.description ?? "")")
            }
            #expect(try z.prefix(of: e, count: 10) == [0x93] + Array("NUMPY".utf8) + [1, 0, 0x76, 0])
        }
    }

    /// Offset of the central directory, from the end record (no comment, no zip64).
    private func centralOffset(_ b: [UInt8]) throws -> Int {
        let end = b.count - 22
        try #require(b[end..<end + 4].elementsEqual([0x50, 0x4B, 5, 6]))
        return (16..<20).reduce(0) { $0 | Int(b[end + $1]) << (8 * ($1 - 16)) }
    }
}
