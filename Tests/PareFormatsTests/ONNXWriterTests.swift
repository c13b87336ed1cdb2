import Foundation
import PareBasics
import PareTensor
import Testing
@testable import PareFormats
import PareONNXProto

private typealias P = ONNXTestProto

/// The writer without Python: byte-identical round trips, layout, markers, and every misuse as an error that
/// leaves nothing behind.
@Suite struct ONNXWriterTests {
    /// A model with a stripped tensor "w" (float32 [1024], 4 KiB), an inline "b" (float32 [4]) and a Constant
    /// "c" (float32 [300]) — in the field order SwiftProtobuf writes, so an unchanged write is byte-identical.
    static func sample(_ rng: inout SplitMix64) -> [UInt8] {
        let constant = P.node("Constant", name: "k", outputs: ["c"], attributes: [P.tensorAttribute("value", P.tensor("", dims: [300], raw: rng.bytes(1200)))])
        return P.model(P.graph(initializers: [P.tensor("w", dims: [1024], raw: rng.bytes(4096)), P.tensor("b", dims: [4], raw: rng.bytes(16))], nodes: [constant]))
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func unchangedWriteIsByteIdentical(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let bytes = Self.sample(&rng)
        try TemporaryDirectory.with { dir in
            try TemporaryDirectory.write(bytes, to: dir + "/in.onnx")
            let f = try ONNXFile(path: dir + "/in.onnx")
            #expect(f.tensors.map(\.isStripped) == [true, false, true])
            #expect(f.skeletonByteCount < 200)
            try ONNXWriter.write(to: dir + "/out.onnx", model: f.model, payloads: try f.payloadSources())
            #expect(try TemporaryDirectory.read(dir + "/out.onnx") == bytes)
            // A higher threshold keeps everything inline; the result is the same file.
            let inline = try ONNXFile(path: dir + "/in.onnx", stripThreshold: 1 << 20)
            #expect(inline.tensors.allSatisfy { !$0.isStripped })
            try ONNXWriter.write(to: dir + "/out2.onnx", model: inline.model, payloads: try inline.payloadSources())
            #expect(try TemporaryDirectory.read(dir + "/out2.onnx") == bytes)
        }
    }

    /// A key shared by two tensors is stored once in the sidecar; the doc_string of a marked tensor survives.
    @Test func sharedKeyStoredOnceAndDocKept() throws {
        var rng = SplitMix64(seed: 9)
        try TemporaryDirectory.with { dir in
            try TemporaryDirectory.write(Self.sample(&rng), to: dir + "/in.onnx")
            let f = try ONNXFile(path: dir + "/in.onnx")
            var model = f.model
            var copy = model.graph.initializer[0]
            copy.name = "w_copy"
            copy.docString = ONNXPayloadMarker.docString(key: "w", original: "shares w's payload")
            model.graph.initializer.append(copy)
            try ONNXWriter.write(to: dir + "/out/model.onnx", model: model, payloads: try f.payloadSources(), externalData: "weights/data.bin")
            let data = try TemporaryDirectory.read(dir + "/out/weights/data.bin")
            // In serialization order (nodes before initializers): c (1200 bytes) at 0, w (4096 bytes) at 4096,
            // and w_copy reuses w's offset.
            #expect(data.count == 4096 + 4096)
            let back = try ONNXFile(path: dir + "/out/model.onnx")
            let w = try back.withPayload(try #require(back["w"])) { Array($0) }
            #expect(try back.withPayload(try #require(back["w_copy"])) { Array($0) } == w)
            #expect(try f.withPayload(try #require(f["w"])) { Array($0) } == w)
            let proto = try Onnx_ModelProto(serializedBytes: TemporaryDirectory.read(dir + "/out/model.onnx"))
            #expect(proto.graph.initializer[2].docString == "shares w's payload")
            #expect(proto.graph.initializer[2].externalData.map(\.value) == ["weights/data.bin", "4096", "4096"])
            #expect(proto.graph.node[0].attribute[0].t.externalData.map(\.value) == ["weights/data.bin", "0", "1200"])
            #expect(!proto.graph.initializer[1].hasDataLocation)  // b (16 bytes) stays inline
        }
    }

    /// Writing over the model being read, and over its own sidecar, keeps every payload: sources are opened
    /// before anything is replaced, and replacement is by rename.
    @Test(arguments: [7, 8] as [UInt64])
    func rewriteInPlace(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        try TemporaryDirectory.with { dir in
            let path = dir + "/model.onnx"
            try TemporaryDirectory.write(Self.sample(&rng), to: path)
            let original = try ONNXFile(path: path)
            let want = try original.tensors.map { t in try original.withPayload(t) { Array($0) } }
            for externalData in ["model.onnx.data", "model.onnx.data", nil] as [String?] {
                let f = try ONNXFile(path: path)
                try ONNXWriter.write(to: path, model: f.model, payloads: try f.payloadSources(), externalData: externalData)
                let back = try ONNXFile(path: path)
                #expect(try back.tensors.map { t in try back.withPayload(t) { Array($0) } } == want)
                #expect(try f.tensors.map { t in try f.withPayload(t) { Array($0) } } == want)  // old mapping still valid
            }
            // Back to inline: the original file again.
            var same = SplitMix64(seed: seed)
            #expect(try TemporaryDirectory.read(path) == Self.sample(&same))
        }
    }

    /// Marker keys round-trip whatever they hold (%, line breaks, text that looks like an escape).
    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func markerKeysRoundTrip(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let alphabet: [Character] = ["a", "%", "0", "A", "2", "5", "\n", "é", "/", ":", " ", "🦀"]
        for _ in 0..<200 {
            let key = String((0..<Int.random(in: 0...12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            let doc = Bool.random(using: &rng) ? "" : String((0..<Int.random(in: 1...8, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            let marker = ONNXPayloadMarker.docString(key: key, original: doc)
            #expect(marker.hasPrefix("pare-payload:"))
            let parsed = ONNXPayloadMarker.parse(marker)
            #expect(parsed?.key == key && parsed?.docString == doc, "\(key.debugDescription) \(doc.debugDescription)")
        }
        #expect(ONNXPayloadMarker.docString(key: "fc.weight") == "pare-payload:fc.weight")
        #expect(ONNXPayloadMarker.parse("a weight") == nil)
    }

    /// One misuse of the writer, and the error it must give.
    struct Misuse: Sendable, CustomTestStringConvertible {
        var label: String
        var externalData: String?
        var tensor: String?
        var fragment: String
        var testDescription: String { label }
    }

    static let misuses: [Misuse] = [
        .init(label: "missing payload", tensor: "w", fragment: "is marked for payload 'w' but no payload was given under that key"),
        .init(label: "short payload", tensor: "w", fragment: "payload 'w' has 4092 bytes but dims [1024] of float32 need 4096"),
        .init(label: "short file range", tensor: "w", fragment: "payload 'w' has 100 bytes but dims [1024] of float32 need 4096"),
        .init(label: "unused payload", tensor: "ghost", fragment: "payload 'ghost' is not used: no tensor in the model carries its marker"),
        .init(label: "missing source file", tensor: "w", fragment: "gone.bin': cannot open: no such file"),
        .init(label: "source range outside the file", tensor: "w", fragment: "payload range [1000000, 1000000 + 4096) lies outside"),
        .init(label: "marked tensor with data", tensor: "w", fragment: "carries the payload marker 'w' and data of its own"),
        .init(label: "marked STRING tensor", tensor: "w", fragment: "data type STRING (8) cannot be written"),
        .init(label: "unmarked external tensor", tensor: "b", fragment: "refers to external data 'old.bin' of the model it came from"),
        .init(label: "absolute sidecar", externalData: "/tmp/x.data", fragment: "external data name '/tmp/x.data' must be a relative path"),
        .init(label: "escaping sidecar", externalData: "../x.data", fragment: "must be a relative path inside the model's folder"),
        .init(label: "dot sidecar", externalData: "a/./x.data", fragment: "no leading '/', no '.' or '..' components"),
        .init(label: "empty sidecar", externalData: "", fragment: "external data name '' must be a relative path"),
        .init(label: "sidecar is the model", externalData: "model.onnx", fragment: "is the model file itself"),
    ]

    @Test(arguments: misuses)
    func misuseIsAnError(_ m: Misuse) throws {
        var rng = SplitMix64(seed: 4)
        try TemporaryDirectory.with { dir in
            try TemporaryDirectory.write(Self.sample(&rng), to: dir + "/in.onnx")
            let f = try ONNXFile(path: dir + "/in.onnx")
            var model = f.model
            var payloads = try f.payloadSources()
            switch m.label {
            case "missing payload": payloads["w"] = nil
            case "short payload": payloads["w"] = .bytes([UInt8](repeating: 0, count: 4092))
            case "short file range": payloads["w"] = .file(path: dir + "/in.onnx", offset: 0, count: 100)
            case "unused payload": payloads["ghost"] = .bytes([1])
            case "missing source file": payloads["w"] = .file(path: dir + "/gone.bin", offset: 0, count: 4096)
            case "source range outside the file": payloads["w"] = .file(path: dir + "/in.onnx", offset: 1_000_000, count: 4096)
            case "marked tensor with data": model.graph.initializer[0].rawData = Data([1, 2, 3, 4])
            case "marked STRING tensor": model.graph.initializer[0].dataType = 8
            case "unmarked external tensor":
                model.graph.initializer[1].clearRawData()
                model.graph.initializer[1].dataLocation = .external
                var e = Onnx_StringStringEntryProto()
                e.key = "location"
                e.value = "old.bin"
                model.graph.initializer[1].externalData = [e]
            default: break
            }
            let out = dir + "/out/model.onnx"
            let error = try #require(throws: FormatError.self) {
                try ONNXWriter.write(to: out, model: model, payloads: payloads, externalData: m.externalData)
            }
            #expect(error.tensor == m.tensor)
            #expect(error.description.contains(m.fragment), "\(error)")
            #expect(!FileManager.default.fileExists(atPath: out))
            let left = (try? FileManager.default.contentsOfDirectory(atPath: dir + "/out")) ?? []
            #expect(left.isEmpty, "\(left)")
        }
    }

    /// A model over protobuf's 2 GiB limit needs external data; the check runs before any source is read.
    @Test func overTwoGiBNeedsExternalData() throws {
        try TemporaryDirectory.with { dir in
            var t = Onnx_TensorProto()
            t.name = "huge"
            t.dataType = 2
            t.dims = [1 << 31]
            ONNXPayloadMarker.mark(&t, key: "huge")
            var model = Onnx_ModelProto()
            model.irVersion = 8
            model.graph.initializer = [t]
            let error = try #require(throws: FormatError.self) {
                try ONNXWriter.write(to: dir + "/m.onnx", model: model, payloads: ["huge": .file(path: dir + "/none", offset: 0, count: 1 << 31)])
            }
            #expect(error.message.contains("over protobuf's 2 GiB limit; write it with external data"))
        }
    }
}
