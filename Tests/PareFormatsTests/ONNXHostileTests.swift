import Foundation
import PareBasics
import PareTensor
import Testing
@testable import PareFormats
import PareONNXProto

private typealias P = ONNXTestProto

/// Bad ONNX input gives a `FormatError` naming the file (and the tensor or node), never a crash.
@Suite struct ONNXHostileTests {
    /// Writes the case's files into a fresh folder and opens the model.
    static func open(_ c: ONNXHostileCase, in dir: String) throws -> String {
        let folder = dir + "/m"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/outside", withIntermediateDirectories: true)
        try TemporaryDirectory.write([UInt8](repeating: 0x5A, count: 4096), to: dir + "/outside/secret.bin")
        for (name, bytes) in c.files {
            let p = folder + "/" + name
            try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try TemporaryDirectory.write(bytes, to: p)
        }
        for (name, target) in c.links {
            try FileManager.default.createSymbolicLink(atPath: folder + "/" + name, withDestinationPath: target)
        }
        let path = folder + "/model.onnx"
        try TemporaryDirectory.write(c.model, to: path)
        return path
    }

    @Test(arguments: onnxHostileCases)
    func rejects(_ c: ONNXHostileCase) throws {
        try TemporaryDirectory.with { dir in
            let path = try Self.open(c, in: dir)
            let error = try #require(throws: FormatError.self) { try ONNXFile(path: path) }
            #expect(error.file == path)
            #expect(error.tensor == c.tensor)
            #expect(error.description.hasPrefix(path + ": " + (c.tensor.map { "tensor '\($0)': " } ?? "")))
            #expect(error.description.contains(c.fragment), "\(error)")
        }
    }

    @Test func missingModelAndFolder() throws {
        try TemporaryDirectory.with { dir in
            let missing = try #require(throws: FormatError.self) { try ONNXFile(path: dir + "/none.onnx") }
            #expect(missing.description == dir + "/none.onnx: cannot open: no such file; check the path")
            let folder = try #require(throws: FormatError.self) { try ONNXFile(path: dir) }
            #expect(folder.message.contains("is a folder"))
        }
    }

    /// Inputs at the edge of what is valid are accepted and decoded right.
    @Test func acceptedEdgeCases() throws {
        let f32Bits: (Float) -> UInt32 = { $0.bitPattern }
        let packedDims = P.int(2, 1) + P.string(8, "packed") + P.bytes(1, P.varint(2) + P.varint(1)) + P.bytes(9, [UInt8](repeating: 1, count: 8))
        let unpackedFloats = P.tensor("floats", dims: [3], extra: [1.5, -2, 0.25].flatMap { P.fixed32(4, f32Bits($0)) })
        let int4 = P.tensor("q", type: 22, dims: [3], extra: P.int(5, 0x21) + P.int(5, 0x03))
        let int8 = P.tensor("i8", type: 3, dims: [3], extra: P.bytes(5, P.varint(UInt64(bitPattern: -1)) + P.varint(127) + P.varint(UInt64(bitPattern: -128))))
        let u32 = P.tensor("u32", type: 12, dims: [2], extra: P.bytes(11, P.varint(7) + P.varint(0xFFFF_FFFF)))
        let i64 = P.tensor("i64", type: 7, dims: [2], extra: P.int(7, -5) + P.int(7, 1 << 40))
        let f64 = P.tensor("f64", type: 11, dims: [1], extra: P.bytes(10, withUnsafeBytes(of: (0.1 as Double).bitPattern.littleEndian, Array.init)))
        let scalar = P.tensor("scalar", dims: [], raw: [0, 0, 0x80, 0x3F])
        let empty = P.tensor("empty", dims: [0, 5])
        let explicitDefault = P.tensor("default", dims: [1], raw: [1, 2, 3, 4], extra: P.int(14, 0))
        let unknown = P.tensor("unknown", dims: [1], raw: [5, 6, 7, 8], extra: P.int(99, 42))
        let external = P.tensor("linked", dims: [2], extra: P.external([("location", "w.bin"), ("offset", "4")]))
        let constant = P.node("Constant", outputs: ["c"], attributes: [P.tensorAttribute("value", P.f32("inner", 2))])
        let list = P.node("Custom", outputs: ["y"], attributes: [P.string(1, "vals") + P.bytes(10, P.f32("", 1)) + P.bytes(10, P.f32("", 2)) + P.int(20, 9)])
        let model = P.model(P.graph(initializers: [packedDims, unpackedFloats, int4, int8, u32, i64, f64, scalar, empty, explicitDefault, unknown, external],
                                    nodes: [constant, list]))
        try TemporaryDirectory.with { dir in
            try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
            try TemporaryDirectory.write([9, 9, 9, 9, 1, 0, 0, 0, 2, 0, 0, 0], to: dir + "/data/real.bin")
            try FileManager.default.createSymbolicLink(atPath: dir + "/w.bin", withDestinationPath: "data/real.bin")
            let path = dir + "/model.onnx"
            try TemporaryDirectory.write(model, to: path)
            let f = try ONNXFile(path: path)
            func payload(_ name: String) throws -> [UInt8] { try f.withPayload(try #require(f[name])) { Array($0) } }
            #expect(f.tensors.map(\.name) == ["packed", "floats", "q", "i8", "u32", "i64", "f64", "scalar", "empty", "default", "unknown", "linked", "c", "node1/vals[0]", "node1/vals[1]"])
            #expect(f["packed"]?.shape == [2, 1])
            #expect(try payload("floats") == [1.5, -2, 0.25].flatMap { withUnsafeBytes(of: f32Bits($0).littleEndian, Array.init) })
            #expect(try payload("q") == [0x21, 0x03])
            #expect(f["q"]?.dtype == .int4)
            #expect(try payload("i8") == [0xFF, 0x7F, 0x80])
            #expect(try payload("u32") == [7, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF])
            #expect(try payload("i64") == withUnsafeBytes(of: Int64(-5).littleEndian, Array.init) + withUnsafeBytes(of: Int64(1 << 40).littleEndian, Array.init))
            #expect(try payload("f64") == withUnsafeBytes(of: (0.1 as Double).bitPattern.littleEndian, Array.init))
            #expect(f["scalar"]?.shape == [])
            #expect(try payload("scalar") == [0, 0, 0x80, 0x3F])
            #expect(f["empty"]?.byteCount == 0)
            #expect(try payload("empty") == [])
            #expect(try payload("linked") == [1, 0, 0, 0, 2, 0, 0, 0])
            #expect(f["linked"]?.isStripped == true)
            #expect(f["c"]?.location == .constantNode(nodeIndex: 0, nodeName: "", attribute: "value"))
            #expect(f["node1/vals[1]"]?.location == .constantNode(nodeIndex: 1, nodeName: "", attribute: "vals[1]"))
            #expect(try payload("node1/vals[1]") == Array(0..<8))
            #expect(f.opsetImports == ["": 17])

            // Written back: all inline tensors unchanged, the external one now inline, unknown fields kept.
            let out = dir + "/out.onnx"
            try ONNXWriter.write(to: out, model: f.model, payloads: try f.payloadSources())
            let back = try ONNXFile(path: out)
            for t in f.tensors where t.name != "linked" {
                #expect(try back.withPayload(try #require(back[t.name])) { Array($0) } == payload(t.name), "\(t.name)")
            }
            #expect(try back.withPayload(try #require(back["linked"])) { Array($0) } == [1, 0, 0, 0, 2, 0, 0, 0])
            let proto = try Onnx_ModelProto(serializedBytes: TemporaryDirectory.read(out))
            #expect(proto.graph.initializer[10].unknownFields.data == Data(P.int(99, 42)))
        }
    }

    /// A tensor reference from another file is refused.
    @Test func foreignReference() throws {
        try TemporaryDirectory.with { dir in
            try TemporaryDirectory.write(P.model(P.graph(initializers: [P.f32("w", 4)])), to: dir + "/a.onnx")
            try TemporaryDirectory.write(P.model(P.graph(initializers: [P.f32("w", 5)])), to: dir + "/b.onnx")
            let a = try ONNXFile(path: dir + "/a.onnx"), b = try ONNXFile(path: dir + "/b.onnx")
            let error = try #require(throws: FormatError.self) { try a.withPayload(b.tensors[0]) { $0.count } }
            #expect(error.message.contains("is not a tensor of this file"))
            #expect(try a.withPayload(a.tensors[0]) { $0.count } == 16)
        }
    }

    /// Seeded mutations of a valid model (byte flips, truncation, inserted bytes, changed lengths) either open
    /// into a consistent index or fail with a FormatError naming the file — never trap.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func mutatedFilesNeverCrash(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        var initializers: [[UInt8]] = []
        for i in 0..<4 {
            let n = Int.random(in: 1...300, using: &rng)
            initializers.append(Bool.random(using: &rng)
                ? P.tensor("t\(i)", dims: [Int64(n)], raw: rng.bytes(4 * n))
                : P.tensor("t\(i)", type: 7, dims: [Int64(n)], extra: P.bytes(7, (0..<n).flatMap { _ in P.varint(rng.next() >> Int.random(in: 0...63, using: &rng)) })))
        }
        let constant = P.node("Constant", name: "k", outputs: ["c"], attributes: [P.tensorAttribute("value", P.f32("", 300))])
        let valid = P.model(P.graph(initializers: initializers, nodes: [constant]))
        var accepted = 0, rejected = 0
        try TemporaryDirectory.with { dir in
            let path = dir + "/fuzz.onnx"
            for _ in 0..<250 {
                var b = valid
                switch Int.random(in: 0..<4, using: &rng) {
                case 0:
                    for _ in 0..<Int.random(in: 1...3, using: &rng) { b[Int.random(in: 0..<b.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng) }
                case 1:
                    b.removeLast(Int.random(in: 1...b.count, using: &rng))
                case 2:
                    b.insert(contentsOf: rng.bytes(Int.random(in: 1...4, using: &rng)), at: Int.random(in: 0...b.count, using: &rng))
                default:
                    // Set a byte that is likely a length or tag to a random value.
                    b[Int.random(in: 0..<min(b.count, 64), using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
                try TemporaryDirectory.write(b, to: path)
                do {
                    let f = try ONNXFile(path: path)
                    for t in f.tensors {
                        #expect(try f.withPayload(t) { $0.count } == t.byteCount)
                        #expect(t.dtype.byteCount(elements: t.shape.elementCount ?? -1) == t.byteCount)
                    }
                    accepted += 1
                } catch let e as FormatError {
                    #expect(e.file == path)
                    rejected += 1
                }
            }
        }
        #expect(rejected > 50)
        #expect(accepted > 10)
    }
}
