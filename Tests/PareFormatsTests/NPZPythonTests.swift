import Foundation
import PareBasics
import PareTensor
import Testing
@testable import PareFormats

/// Arrays written by the venv's numpy (`np.save`, `np.savez`, `np.savez_compressed`) read back exactly.
@Suite("NPZ: numpy-written arrays")
struct NPZPythonTests {
    /// Writes, for each case k: `a{k}.npy`, its C-order bytes in `a{k}.bin`, its float32 conversion in
    /// `a{k}.f32`; all of them as `plain.npz` (np.savez) and `compressed.npz` (np.savez_compressed). Prints one
    /// JSON line per case: key, dtype name, shape, fortran.
    static let writer = #"""
import json, sys
import numpy as np
out, seed = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(seed)
descrs = ['<f4', '<f8', '<f2', '<i8', '<i4', '<i2', '|i1', '|u1', '<u2', '<u4', '<u8', '|b1']
names = {'<f4': 'float32', '<f8': 'float64', '<f2': 'float16', '<i8': 'int64', '<i4': 'int32', '<i2': 'int16',
         '|i1': 'int8', '|u1': 'uint8', '<u2': 'uint16', '<u4': 'uint32', '<u8': 'uint64', '|b1': 'bool'}
shapes = [(), (0,), (7,), (3, 4), (2, 3, 5), (1, 3, 8, 8), (2, 0, 3)]
def draw(d, shape):
    dt = np.dtype(d)
    if dt.kind == 'f':
        a = rng.standard_normal(shape).astype(dt) * dt.type(100)
        if a.size > 2:
            a.flat[0], a.flat[1] = np.inf, -0.0
        return a
    if dt.kind == 'b':
        return rng.integers(0, 2, size=shape).astype(bool)
    info = np.iinfo(dt)
    return rng.integers(info.min, info.max, size=shape, dtype=dt, endpoint=True)
arrays = {}
k = 0
for d in descrs:
    for shape in shapes:
        arrays[f'a{k}'] = (d, draw(d, shape), False); k += 1
    for shape in [(3, 4), (2, 3, 5)]:
        arrays[f'a{k}'] = (d, np.asfortranarray(draw(d, shape)), True); k += 1
arrays[f'a{k}'] = ('<f4', draw('<f4', (257, 1031)), False); k += 1
for key, (d, a, f) in arrays.items():
    assert a.flags.f_contiguous or not f
    np.save(f'{out}/{key}.npy', a)
    with open(f'{out}/{key}.bin', 'wb') as fh: fh.write(np.ascontiguousarray(a).tobytes())
    with open(f'{out}/{key}.f32', 'wb') as fh: fh.write(np.ascontiguousarray(a).astype(np.float32).tobytes())
    print(json.dumps({'key': key, 'dtype': names[d], 'shape': list(a.shape), 'fortran': bool(a.flags.f_contiguous and not a.flags.c_contiguous)}))
np.savez(f'{out}/plain.npz', **{k: v[1] for k, v in arrays.items()})
np.savez_compressed(f'{out}/compressed.npz', **{k: v[1] for k, v in arrays.items()})
"""#

    enum Container: String, CaseIterable, Sendable { case npy, npz, compressed }

    @Test("every dtype and shape reads back exactly", arguments: Container.allCases, [UInt64(1), 2])
    func readsExactly(container: Container, seed: UInt64) throws {
        try TemporaryDirectory.with { dir in
            let cases = try TestProcess.jsonLines(try TestProcess.pythonSnippet(NPZPythonTests.writer, [dir, String(seed)]))
            #expect(cases.count == 12 * 9 + 1)
            let npz: NPZFile? = switch container {
            case .npy: nil
            case .npz: try NPZFile(path: dir + "/plain.npz")
            case .compressed: try NPZFile(path: dir + "/compressed.npz")
            }
            if let npz { #expect(npz.keys.count == cases.count) }
            if container == .compressed { #expect(npz!.archive.entries.allSatisfy { $0.method == ZipEntry.deflated }) }
            for c in cases {
                let key = c["key"] as! String
                let a = try npz?.array(key) ?? NPYArray.load(path: dir + "/\(key).npy")
                #expect(a.dtype.rawValue == c["dtype"] as! String, "\(key)")
                #expect(a.shape.dims == c["shape"] as! [Int], "\(key)")
                #expect(a.bytes == (try TemporaryDirectory.read(dir + "/\(key).bin")), "\(key) bytes")
                let f32 = try TemporaryDirectory.read(dir + "/\(key).f32")
                let want = f32.withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)) }
                #expect(a.floats().map(\.bitPattern) == want, "\(key) as float32")
                if let h = npz?.header(key) {
                    #expect(h.fortranOrder == c["fortran"] as! Bool && h.shape == a.shape && h.dtype == a.dtype, "\(key) header")
                }
            }
        }
    }

    @Test("typed element access matches the dtype exactly")
    func typedElements() throws {
        try TemporaryDirectory.with { dir in
            _ = try TestProcess.pythonSnippet("""
            import numpy as np, sys
            np.savez(sys.argv[1] + '/t.npz', f=np.array([1.5, -2.0], np.float32), d=np.array([[0.1]], np.float64),
                     i=np.array([-3, 2**40], np.int64), u=np.array([7, 255], np.uint8), b=np.array([True, False]),
                     s=np.array(-5, np.int16), h=np.array([0.5, 65504, 6e-8], np.float16))
            """, [dir])
            let npz = try NPZFile(path: dir + "/t.npz")
            #expect(try npz.array("f").elements(as: Float.self) == [1.5, -2.0])
            #expect(try npz.array("f").elements(as: Double.self) == nil)
            #expect(try npz.array("d").elements(as: Double.self) == [0.1])
            #expect(try npz.array("i").elements(as: Int64.self) == [-3, 1 << 40])
            #expect(try npz.array("u").elements(as: UInt8.self) == [7, 255])
            #expect(try npz.array("b").elements(as: Bool.self) == [true, false])
            let s = try npz.array("s")
            #expect(s.shape.rank == 0 && s.elementCount == 1 && s.elements(as: Int16.self) == [-5])
            #expect(try npz.array("h").floats() == [0.5, 65504, 0x1p-24])
        }
    }

    @Test("scripts/onnx_fixtures.py input sets load as data sets")
    func onnxFixtureInputs() throws {
        try TemporaryDirectory.with { dir in
            let r = try TestProcess.script("onnx_fixtures.py", [dir, "--only", "cnn,transformer", "--no-verify"])
            #expect(r.status == 0, "\(r.stderr)")
            for (name, input, dtype) in [("cnn", "input", DType.float32), ("transformer", "input_ids", .int64)] {
                let ds = try DataSet(path: dir + "/\(name).inputs.npz")
                #expect(ds.sampleCount == 8)
                #expect(ds.inputNames == [input])
                #expect(ds.inputs[0].dtype == dtype)
                #expect(ds.label == nil)
                let check = try TestProcess.pythonSnippet("""
                import numpy as np, sys, hashlib
                z = np.load(sys.argv[1])
                print(hashlib.sha256(np.ascontiguousarray(z['0005.\(input)']).tobytes()).hexdigest())
                """, [dir + "/\(name).inputs.npz"])
                let a = try ds.sample(5)[input]!
                #expect(a.withUnsafeBytes { Digest.of($0).hex } == check.lines.last)
            }
        }
    }
}
