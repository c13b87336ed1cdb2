import Foundation
import PareBasics
import PareTensor
import Testing
@testable import PareFormats
import PareONNXProto

/// Cross-checks with the reference `onnx` and `onnxruntime` Python packages (venv from scripts/setup-venv.sh).
/// These tests fail, never skip, when Python cannot run.
@Suite struct ONNXPythonTests {
    /// The index (names, dtypes, shapes, payload bytes) equals what onnx decodes, for raw_data, typed fields,
    /// external data and Constant nodes; the skeleton holds markers exactly where payloads were stripped.
    @Test(arguments: ONNXTestModels.kinds, [1, 2] as [UInt64])
    func indexMatchesPython(kind: String, seed: UInt64) throws {
        try TemporaryDirectory.with { dir in
            let (path, want) = try ONNXTestModels.generate(kind, seed: seed, in: dir)
            let f = try ONNXFile(path: path)
            let got = try ONNXTestModels.index(of: f)
            #expect(got == want)
            #expect(f.opsetImports == ["": kind == "opset11" ? 11 : 21])
            #expect(!f.tensors.isEmpty)
            for t in f.tensors {
                let proto = skeletonTensor(f.model, t)
                if case .initializer = t.location { #expect(proto.name == t.name) }
                // onnx moved exactly the tensors of 1 KiB or more to external data, so the rule is the same.
                #expect(t.isStripped == (t.byteCount >= ONNXFile.defaultStripThreshold), "\(t.name)")
                if t.isStripped {
                    #expect(ONNXPayloadMarker.key(of: proto) == t.payloadKey, "\(t.name)")
                    #expect(!proto.hasRawData && proto.floatData.isEmpty && proto.int32Data.isEmpty && proto.int64Data.isEmpty
                            && proto.doubleData.isEmpty && proto.uint64Data.isEmpty && proto.externalData.isEmpty && !proto.hasDataLocation)
                } else {
                    #expect(ONNXPayloadMarker.key(of: proto) == nil)
                }
                #expect(f[t.payloadKey] == t)
            }
            // The skeleton is small: structure and the payloads under 1 KiB (a few KiB here), whatever the weights.
            // The If model's large weights are in its branches, which the skeleton keeps whole.
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
            if kind == "if" {
                #expect(f.skeletonByteCount == size)
            } else {
                #expect(f.skeletonByteCount < 6 * 1024, "skeleton \(f.skeletonByteCount) bytes of \(size)")
            }
        }
    }

    /// Reading and writing back with every payload unchanged gives a model that passes the full checker and runs
    /// in onnxruntime with bit-identical outputs; writing twice gives identical bytes; a model whose tensors
    /// are all raw_data comes back byte-identical.
    @Test(arguments: ONNXTestModels.kinds)
    func roundTripUnchanged(kind: String) throws {
        try TemporaryDirectory.with { dir in
            let (path, want) = try ONNXTestModels.generate(kind, seed: 3, in: dir + "/in")
            let f = try ONNXFile(path: path)
            let out = dir + "/out/model.onnx", again = dir + "/again/model.onnx"
            try ONNXWriter.write(to: out, model: f.model, payloads: try f.payloadSources())
            try ONNXWriter.write(to: again, model: f.model, payloads: try f.payloadSources())
            #expect(try fileDigest(out) == fileDigest(again))
            if kind == "rawonly" {
                #expect(try TemporaryDirectory.read(out) == TemporaryDirectory.read(path))
            }
            let r = try ONNXTestModels.check(seed: 3, original: path, written: out)
            #expect(r.identical)
            #expect(r.finite)
            #expect(r.original == want)
            #expect(r.written == want)
            #expect(try ONNXTestModels.index(of: ONNXFile(path: out)) == want)
        }
    }

    /// Writing with external data: payloads of 1 KiB or more go to the sidecar at 4096-aligned offsets, the
    /// model passes the checker and gives the same outputs, and reading it back gives the same tensors.
    @Test(arguments: ["opset21", "external", "if"])
    func externalDataRoundTrip(kind: String) throws {
        try TemporaryDirectory.with { dir in
            let (path, want) = try ONNXTestModels.generate(kind, seed: 4, in: dir + "/in")
            let f = try ONNXFile(path: path)
            let out = dir + "/out/model.onnx"
            try ONNXWriter.write(to: out, model: f.model, payloads: try f.payloadSources(), externalData: "model.onnx.data")
            let sidecar = dir + "/out/model.onnx.data"
            #expect(FileManager.default.fileExists(atPath: sidecar))
            let r = try ONNXTestModels.check(seed: 4, original: path, written: out)
            #expect(r.identical)
            #expect(r.written == want)

            // Layout: every stripped payload of ≥ 1 KiB is external; payloads lie back to back at aligned offsets.
            let written = try Onnx_ModelProto(serializedBytes: TemporaryDirectory.read(out))
            var ranges: [(offset: Int, length: Int)] = []
            for t in f.tensors {
                let proto = skeletonTensor(written, t)
                let isExternal = proto.dataLocation == .external
                #expect(isExternal == (t.isStripped && t.byteCount >= ONNXWriter.externalThreshold), "\(t.name)")
                guard isExternal else { continue }
                let entries = Dictionary(uniqueKeysWithValues: proto.externalData.map { ($0.key, $0.value) })
                #expect(proto.externalData.map(\.key) == ["location", "offset", "length"])
                #expect(entries["location"] == "model.onnx.data")
                let offset = try #require(Int(entries["offset"] ?? ""))
                #expect(Int(entries["length"] ?? "") == t.byteCount)
                ranges.append((offset, t.byteCount))
            }
            // The If model's large weights live in its branches, which stay inline.
            #expect(ranges.isEmpty == (kind == "if"))
            var end = 0
            for r in ranges.sorted(by: { $0.offset < $1.offset }) {
                let a = ONNXWriter.externalAlignment
                #expect(r.offset == (end + a - 1) / a * a)
                end = r.offset + r.length
            }
            let size = try FileManager.default.attributesOfItem(atPath: sidecar)[.size] as! Int
            #expect(size == end)

            let back = try ONNXFile(path: out)
            #expect(try ONNXTestModels.index(of: back) == want)
            // Deterministic, and the external model written inline again equals the first inline write.
            let again = dir + "/again/model.onnx"
            try ONNXWriter.write(to: again, model: f.model, payloads: try f.payloadSources(), externalData: "model.onnx.data")
            #expect(try fileDigest(out) == fileDigest(again))
            #expect(try fileDigest(sidecar) == fileDigest(dir + "/again/model.onnx.data"))
            let inline1 = dir + "/inline1.onnx", inline2 = dir + "/inline2.onnx"
            try ONNXWriter.write(to: inline1, model: f.model, payloads: try f.payloadSources())
            try ONNXWriter.write(to: inline2, model: back.model, payloads: try back.payloadSources())
            #expect(try fileDigest(inline1) == fileDigest(inline2))
        }
    }

    /// New payloads for stripped and inline tensors and a new marked initializer reach Python as written.
    @Test(arguments: [5, 6] as [UInt64])
    func replacedPayloadsReachPython(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        try TemporaryDirectory.with { dir in
            let (path, want) = try ONNXTestModels.generate("opset21", seed: seed, in: dir + "/in")
            let f = try ONNXFile(path: path)
            var model = f.model
            var payloads = try f.payloadSources()

            let w1 = try #require(f["W1"])
            #expect(w1.isStripped)
            let newW1 = (0..<w1.byteCount / 4).flatMap { _ in withUnsafeBytes(of: Float.random(in: -1...1, using: &rng).bitPattern.littleEndian, Array.init) }
            payloads["W1"] = .bytes(newW1)

            // b1 stayed inline: mark it to replace its data.
            let b1 = try #require(f["b1"])
            #expect(!b1.isStripped)
            guard case .initializer(let bi) = b1.location else { Issue.record("b1 is not an initializer"); return }
            ONNXPayloadMarker.mark(&model.graph.initializer[bi], key: "new-b1")
            let newB1 = rng.bytes(b1.byteCount)
            payloads["new-b1"] = .bytes(newB1)

            // A new int8 initializer whose payload is streamed from a file.
            var extra = Onnx_TensorProto()
            extra.name = "extra"
            extra.dataType = Int32(ONNXDataType.code(of: .int8))
            extra.dims = [3, 1000]
            extra.docString = "added by a test"
            ONNXPayloadMarker.mark(&extra, key: "extra")
            model.graph.initializer.append(extra)
            let extraBytes = rng.bytes(3000)
            try TemporaryDirectory.write([0, 1, 2] + extraBytes + [9], to: dir + "/extra.bin")
            payloads["extra"] = .file(path: dir + "/extra.bin", offset: 3, count: 3000)

            let out = dir + "/out/model.onnx"
            try ONNXWriter.write(to: out, model: model, payloads: payloads)
            let got = try ONNXTestModels.pythonIndex([out])[0]
            var expected = want
            for i in expected.indices {
                if expected[i].name == "W1" { expected[i].sha256 = Digest.of(newW1).hex }
                if expected[i].name == "b1" { expected[i].sha256 = Digest.of(newB1).hex }
            }
            let extraEntry = ONNXIndexEntry(name: "extra", dtype: "int8", shape: [3, 1000], bytes: 3000, sha256: Digest.of(extraBytes).hex)
            let initializerCount = f.tensors.filter { if case .initializer = $0.location { return true } else { return false } }.count
            expected.insert(extraEntry, at: initializerCount)
            #expect(got == expected)
            let back = try ONNXFile(path: out)
            #expect(try skeletonTensor(back.model, #require(back["extra"])).docString.hasSuffix("\nadded by a test"))
            #expect(try Onnx_ModelProto(serializedBytes: TemporaryDirectory.read(out)).graph.initializer.last?.docString == "added by a test")
        }
    }
}
