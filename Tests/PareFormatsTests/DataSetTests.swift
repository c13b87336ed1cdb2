import Foundation
import PareBasics
import PareTensor
import Testing
@testable import PareFormats

/// Data sets: the `NNNN.<input>` layout rules, reading samples, the digests, across npz and safetensors.
@Suite("DataSet")
struct DataSetTests {
    typealias S = NPZTestSupport

    /// Writes the same seeded data set (N samples of `image` float32 [1,3,4,4], `mask` int64 [5], labels int64)
    /// as plain.npz, compressed.npz, fortran.npz (images in Fortran order, shuffled member order, unpadded
    /// sample numbers), data.safetensors and nolabel.npz.
    static let writer = #"""
import sys
import numpy as np
from safetensors.numpy import save_file
out, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(seed)
d = {}
for i in range(n):
    d[f'{i:04d}.image'] = rng.standard_normal((1, 3, 4, 4)).astype(np.float32)
    d[f'{i:04d}.mask'] = rng.integers(0, 9, size=(5,), dtype=np.int64)
    d[f'{i:04d}.__label__'] = np.array(i % 3, dtype=np.int64)
np.savez(f'{out}/plain.npz', **d)
np.savez_compressed(f'{out}/compressed.npz', **d)
keys = list(d)
rng.shuffle(keys)
np.savez(f'{out}/fortran.npz', **{k.lstrip('0') if not k.startswith('0000') else k: (np.asfortranarray(d[k]) if d[k].ndim > 1 else d[k]) for k in keys})
save_file(d, f'{out}/data.safetensors')
np.savez(f'{out}/nolabel.npz', **{k: v for k, v in d.items() if '__label__' not in k})
for i in [0, n - 1]:
    print(f'{i} ' + ' '.join(str(float(x)) for x in d[f'{i:04d}.image'].ravel()[:3]))
"""#

    @Test("the same samples read alike from npz, compressed npz, Fortran-order npz and safetensors", arguments: [UInt64(3), 11])
    func formatsAgree(seed: UInt64) throws {
        try TemporaryDirectory.with { dir in
            let n = 12
            _ = try TestProcess.pythonSnippet(DataSetTests.writer, [dir, String(n), String(seed)])
            let files = ["plain.npz", "compressed.npz", "fortran.npz", "data.safetensors"]
            let sets = try files.map { try DataSet(path: dir + "/" + $0) }
            for ds in sets {
                #expect(ds.sampleCount == n)
                #expect(ds.inputs == [DataSetInput(name: "image", dtype: .float32, shape: [1, 3, 4, 4]),
                                      DataSetInput(name: "mask", dtype: .int64, shape: [5])])
                #expect(ds.label == DataSetInput(name: "__label__", dtype: .int64, shape: []))
                #expect(try ds.label(4)?.elements(as: Int64.self) == [1])
            }
            #expect(sets.map(\.isNPZ) == [true, true, true, false])
            for i in 0..<n {
                let ref = try sets[0].sample(i)
                for ds in sets.dropFirst() {
                    let s = try ds.sample(i)
                    #expect(s["image"]!.bytes == ref["image"]!.bytes && s["mask"]!.bytes == ref["mask"]!.bytes, "\(ds.path) sample \(i)")
                }
            }
            #expect(try sets[0].floatSample(0)["mask"]! == sets[0].sample(0)["mask"]!.elements(as: Int64.self)!.map(Float.init))
            // Content digests agree across formats; file digests do not.
            let selections = [DataSetSelection.all, DataSetSelection(samples: 5, seed: seed)]
            for sel in selections {
                let digests = try sets.map { try $0.contentDigest(sel) }
                #expect(Set(digests).count == 1, "\(sel)")
            }
            #expect(try sets[0].contentDigest(selections[0]) != sets[0].contentDigest(selections[1]))
            #expect(try sets[0].contentDigest(DataSetSelection(samples: 5, seed: seed)) != sets[0].contentDigest(DataSetSelection(samples: 5, seed: seed + 1)))
            #expect(try Set(sets.map { try $0.fileDigest() }).count == sets.count)
            let fileBytes = try TemporaryDirectory.read(dir + "/plain.npz")
            #expect(try sets[0].fileDigest() == Digest.of(fileBytes))
            // Labels are part of the content.
            let nolabel = try DataSet(path: dir + "/nolabel.npz")
            #expect(nolabel.label == nil)
            #expect(try nolabel.label(0) == nil)
            #expect(try nolabel.contentDigest() != sets[0].contentDigest())
        }
    }

    struct LayoutCase: Sendable, CustomTestStringConvertible {
        var label: String
        var keys: [(String, [Int])]
        var fragment: String
        var testDescription: String { label }
    }

    static let layoutCases: [LayoutCase] = [
        LayoutCase(label: "key without a sample number", keys: [("0000.x", [2]), ("image", [2])], fragment: "key 'image': does not follow the data set convention"),
        LayoutCase(label: "number without a name", keys: [("0000.", [2])], fragment: "key '0000.': does not follow"),
        LayoutCase(label: "gap in the numbering", keys: [("0000.x", [2]), ("0002.x", [2])], fragment: "sample 1 is missing"),
        LayoutCase(label: "not starting at 0", keys: [("0001.x", [2])], fragment: "sample 0 is missing"),
        LayoutCase(label: "same sample spelled twice", keys: [("0001.x", [2]), ("1.x", [2]), ("0000.x", [2])], fragment: "names the same sample and input as"),
        LayoutCase(label: "input missing in a sample", keys: [("0000.x", [2]), ("0000.y", [2]), ("0001.x", [2])], fragment: "key '0000.y': has no counterpart in sample 1"),
        LayoutCase(label: "extra input in a sample", keys: [("0000.x", [2]), ("0001.x", [2]), ("0001.z", [2])], fragment: "key '0001.z': sample 1 has the input 'z'"),
        LayoutCase(label: "label in only some samples", keys: [("0000.x", [2]), ("0001.x", [2]), ("0001.__label__", [])], fragment: "key '0001.__label__': sample 1 has a label"),
        LayoutCase(label: "shape differs", keys: [("0000.x", [2]), ("0001.x", [3])], fragment: "key '0001.x': is float32 [3] but '0000.x' is float32 [2]"),
        LayoutCase(label: "only labels", keys: [("0000.__label__", [])], fragment: "has labels but no inputs"),
        LayoutCase(label: "no samples", keys: [], fragment: "has no samples"),
    ]

    @Test("layout rules name the offending key", arguments: layoutCases)
    func layoutErrors(c: LayoutCase) throws {
        try TemporaryDirectory.with { dir in
            let members = c.keys.map { key, shape in
                (key + ".npy", S.npyFloat32([Float](repeating: 1, count: shape.reduce(1, *)), shape: shape))
            }
            let path = try S.write(S.zip(members), dir, "d.npz")
            let e = S.formatError { _ = try DataSet(path: path) }
            #expect(e?.file == path)
            #expect(e?.message.contains(c.fragment) == true, "\(e?.message ?? "")")
        }
    }

    @Test("dtype mismatches name both keys, in safetensors too")
    func dtypeMismatch() throws {
        try TemporaryDirectory.with { dir in
            _ = try TestProcess.pythonSnippet("""
            import numpy as np, sys
            from safetensors.numpy import save_file
            d = {'0000.x': np.zeros(2, np.float32), '0001.x': np.zeros(2, np.float64)}
            np.savez(sys.argv[1] + '/d.npz', **d)
            save_file(d, sys.argv[1] + '/d.safetensors')
            """, [dir])
            for name in ["d.npz", "d.safetensors"] {
                let e = S.formatError { _ = try DataSet(path: dir + "/" + name) }
                #expect(e?.message.contains("key '0001.x': is float64 [2] but '0000.x' is float32 [2]") == true, "\(e?.description ?? "")")
            }
        }
    }

    @Test("files that are not data sets", arguments: ["npy", "not zip", "empty"])
    func notDataSets(kind: String) throws {
        try TemporaryDirectory.with { dir in
            let (bytes, name, fragment): ([UInt8], String, String) = switch kind {
            case "npy": (S.npyFloat32([1], shape: [1]), "x.npy", "is a single .npy array")
            case "not zip": (Array("hello world".utf8), "x.npz", "is not a zip archive")
            default: ([], "x.safetensors", "too short for safetensors")
            }
            let path = try S.write(bytes, dir, name)
            let e = S.formatError { _ = try DataSet(path: path) }
            #expect(e?.file == path)
            #expect(e?.message.contains(fragment) == true, "\(e?.description ?? "")")
        }
    }

    @Test("a custom label key")
    func customLabelKey() throws {
        try TemporaryDirectory.with { dir in
            let one = S.npyFloat32([1], shape: [1])
            let path = try S.write(S.zip([("0000.x.npy", one), ("0000.label.npy", one)]), dir, "d.npz")
            let ds = try DataSet(path: path, labelKey: "label")
            #expect(ds.inputNames == ["x"] && ds.label?.name == "label")
            #expect(try DataSet(path: path).inputNames == ["label", "x"])
        }
    }
}
