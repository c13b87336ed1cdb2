import Foundation
import Testing
@testable import PareFormats

/// Format details checked on hand-made files: .npy versions, zip64 directories, zero-copy stored members.
@Suite("NPZ: format details")
struct NPZFormatTests {
    typealias S = NPZTestSupport

    @Test(".npy format versions 1.0, 2.0 and 3.0 (UTF-8 header)", arguments: [UInt8(1), 2, 3])
    func versions(version: UInt8) throws {
        let data = [Float(1.5), -2, 3].flatMap { v in S.le32(v.bitPattern) }
        let note = version == 3 ? " " : ""
        let bytes = S.npy(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }" + note, data: data, version: version)
        let a = try bytes.withUnsafeBytes { try NPYArray.read($0, owner: nil, file: "v.npy", member: nil) }
        #expect(a.floats() == [1.5, -2, 3])
        #expect(try bytes.withUnsafeBytes { try NPYHeader.parse($0, totalSize: bytes.count, file: "v.npy") }.version == Int(version))
    }

    @Test("Fortran order is transposed to C order", arguments: [[2, 3], [2, 3, 4], [1, 5], [4, 1, 2, 3]])
    func fortran(shape: [Int]) throws {
        let n = shape.reduce(1, *)
        // Fortran position of C multi-index (i0, …): Σ iₖ·Πⱼ<ₖ dⱼ. Store value = C position at that place.
        var fortran = [Float](repeating: 0, count: n)
        var index = [Int](repeating: 0, count: shape.count)
        for p in 0..<n {
            var f = 0, stride = 1
            for k in 0..<shape.count { f += index[k] * stride; stride *= shape[k] }
            fortran[f] = Float(p)
            var k = shape.count - 1
            while k >= 0 { index[k] += 1; if index[k] < shape[k] { break }; index[k] = 0; k -= 1 }
        }
        let dims = "(" + shape.map(String.init).joined(separator: ", ") + ")"
        let bytes = S.npy(header: "{'descr': '<f4', 'fortran_order': True, 'shape': \(dims), }", data: fortran.flatMap { S.le32($0.bitPattern) })
        let a = try bytes.withUnsafeBytes { try NPYArray.read($0, owner: nil, file: "f.npy", member: nil) }
        #expect(a.floats() == (0..<n).map(Float.init))
    }

    @Test("zip64 central directory entries and end records", arguments: [false, true])
    func zip64(zip64: Bool) throws {
        try TemporaryDirectory.with { dir in
            let members = (0..<3).map { ("0000.in\($0).npy", S.npyFloat32([Float($0), 1], shape: [2])) }
            let path = try S.write(S.zip(members, zip64: zip64), dir, "z.npz")
            let z = try NPZFile(path: path)
            #expect(z.keys == ["0000.in0", "0000.in1", "0000.in2"])
            for k in 0..<3 { #expect(try z.array("0000.in\(k)").floats() == [Float(k), 1]) }
            #expect(try DataSet(path: path).inputNames == ["in0", "in1", "in2"])
            // A zip64 extra field that is too short is an error, not a crash.
            var bad = S.zip(members, zip64: true)
            let firstExtraLength = try #require(find(bad, [1, 0, 24, 0]))
            bad[firstExtraLength + 2] = 16
            let e = S.formatError { _ = try ZipArchive(path: try S.write(bad, dir, "bad.npz")) }
            #expect(e?.message.contains("zip64") == true, "\(e?.description ?? "")")
        }
    }

    @Test("a STORED C-order member is a view into the mapping; a DEFLATED one is not")
    func zeroCopy() throws {
        try TemporaryDirectory.with { dir in
            _ = try TestProcess.pythonSnippet("""
            import numpy as np, sys
            a = np.arange(1000, dtype=np.float32)
            np.savez(sys.argv[1] + '/s.npz', a=a)
            np.savez_compressed(sys.argv[1] + '/c.npz', a=a)
            """, [dir])
            for (name, view) in [("s.npz", true), ("c.npz", false)] {
                let z = try NPZFile(path: dir + "/" + name)
                let a = try z.array("a")
                let inside = z.archive.withArchiveBytes { file in
                    a.withUnsafeBytes { $0.baseAddress! >= file.baseAddress! && $0.baseAddress! + $0.count <= file.baseAddress! + file.count }
                }
                #expect(inside == view, "\(name)")
                #expect(a.floats() == (0..<1000).map(Float.init))
            }
        }
    }

    private func find(_ hay: [UInt8], _ needle: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        return (0...(hay.count - needle.count)).first { hay[$0..<$0 + needle.count].elementsEqual(needle) }
    }
}
