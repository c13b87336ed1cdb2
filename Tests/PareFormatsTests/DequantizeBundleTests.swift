import PareBasics
import Foundation
import PareTensor
import Testing
@testable import PareFormats

/// Builds quantized bundles by hand, following docs/bundle-format.md, and checks that
/// scripts/dequantize_bundle.py reproduces the values computed here bit for bit.
@Suite struct DequantizeBundleTests {
    struct QuantSpec {
        var name: String
        var qtype: String  // int8 | uint8 | int4 | uint4
        var granularity: String
        var group: Int
        var symmetric: Bool
        var shape: [Int]
    }

    struct Built {
        var entries: [SafetensorsWriter.Entry] = []
        var quantization: [String: Any] = [:]
        /// Expected F32 output per tensor name.
        var expected: [String: (shape: [Int], values: [Float])] = [:]
    }

    static func range(_ qtype: String) -> ClosedRange<Int> {
        switch qtype {
        case "int8": return -128...127
        case "uint8": return 0...255
        case "int4": return -8...7
        default: return 0...15
        }
    }

    static func floatBytes(_ v: [Float]) -> [UInt8] { v.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) } }

    /// Quantized tensor, scale and zero point per the layout; expected x̂ = (q − zp) · scale in Float32.
    static func addQuantized(_ s: QuantSpec, to b: inout Built, rng: inout SplitMix64) {
        let rows = s.shape[0], cols = s.shape.dropFirst().reduce(1, *)
        let r = range(s.qtype)
        let q = (0..<(rows * cols)).map { _ in Int.random(in: r, using: &rng) }
        let groupsPerRow = s.granularity == "per-group" ? (cols + s.group - 1) / s.group : 1
        let paramShape: [Int] = s.granularity == "per-tensor" ? [1] : s.granularity == "per-channel" ? [rows] : [rows, groupsPerRow]
        let paramCount = paramShape.reduce(1, *)
        let scale = (0..<paramCount).map { _ in Float.random(in: 0.001...0.5, using: &rng) }
        let unsigned = s.qtype.hasPrefix("u")
        let hasZero = !s.symmetric || unsigned
        let zp = hasZero ? (0..<paramCount).map { _ in Int.random(in: r, using: &rng) } : [Int](repeating: 0, count: paramCount)

        var stored: [UInt8]
        var storedShape = s.shape
        if s.qtype.hasSuffix("4") {
            let packedCols = (cols + 1) / 2
            storedShape = [rows, packedCols]
            stored = [UInt8](repeating: 0, count: rows * packedCols)
            for row in 0..<rows {
                for c in 0..<cols {
                    let nibble = UInt8(truncatingIfNeeded: q[row * cols + c]) & 0x0F
                    stored[row * packedCols + c / 2] |= c % 2 == 0 ? nibble : nibble << 4
                }
            }
        } else {
            stored = q.map { UInt8(truncatingIfNeeded: $0) }
        }
        let storedType: DType = s.qtype == "int8" ? .int8 : .uint8
        b.entries.append(.init(name: s.name, dtype: storedType, shape: Shape(storedShape), source: .bytes(stored)))
        b.entries.append(.init(name: s.name + ".scale", dtype: .float32, shape: Shape(paramShape), source: .bytes(floatBytes(scale))))
        if hasZero {
            b.entries.append(.init(name: s.name + ".zero_point", dtype: unsigned ? .uint8 : .int8, shape: Shape(paramShape),
                                   source: .bytes(zp.map { UInt8(truncatingIfNeeded: $0) })))
        }
        var x = [Float](repeating: 0, count: rows * cols)
        for row in 0..<rows {
            for c in 0..<cols {
                let p: Int
                switch s.granularity {
                case "per-tensor": p = 0
                case "per-channel": p = row
                default: p = row * groupsPerRow + c / s.group
                }
                x[row * cols + c] = (Float(q[row * cols + c]) - Float(zp[p])) * scale[p]
            }
        }
        b.expected[s.name] = (s.shape, x)
        b.quantization[s.name] = [
            "dtype": s.qtype, "granularity": s.granularity, "group": s.granularity == "per-group" ? s.group : 0,
            "symmetric": s.symmetric, "shape": s.shape, "rows": rows, "cols": cols, "scale": s.name + ".scale",
            "zero_point": hasZero ? s.name + ".zero_point" as Any : NSNull(),
        ] as [String: Any]
    }

    static func build(seed: UInt64) throws -> (entries: [SafetensorsWriter.Entry], metadata: [String: String], expected: [String: (shape: [Int], values: [Float])]) {
        var rng = SplitMix64(seed: seed)
        var b = Built()
        let specs = [
            QuantSpec(name: "fc1.weight", qtype: "int8", granularity: "per-channel", group: 0, symmetric: true, shape: [3, 4]),
            QuantSpec(name: "fc2.weight", qtype: "int8", granularity: "per-tensor", group: 0, symmetric: false, shape: [4, 2, 3]),
            QuantSpec(name: "conv.weight", qtype: "uint8", granularity: "per-tensor", group: 0, symmetric: false, shape: [2, 3, 2]),
            QuantSpec(name: "attn.q", qtype: "uint4", granularity: "per-group", group: 4, symmetric: false, shape: [4, 8]),
            QuantSpec(name: "attn.k", qtype: "int4", granularity: "per-channel", group: 0, symmetric: true, shape: [3, 5]),
            QuantSpec(name: "attn.v", qtype: "int4", granularity: "per-group", group: 3, symmetric: false, shape: [2, 9]),
            QuantSpec(name: "attn.o", qtype: "uint4", granularity: "per-channel", group: 0, symmetric: true, shape: [5, 1, 3]),
        ]
        for s in specs { addQuantized(s, to: &b, rng: &rng) }
        // Unquantized tensors: F32 as is, F16 and BF16 upcast exactly.
        let bias = (0..<3).map { _ in Float.random(in: -2...2, using: &rng) }
        b.entries.append(.init(name: "fc1.bias", dtype: .float32, shape: [3], source: .bytes(floatBytes(bias))))
        b.expected["fc1.bias"] = ([3], bias)
        let half = (0..<6).map { _ in Float16(Float.random(in: -4...4, using: &rng)) }
        b.entries.append(.init(name: "emb", dtype: .float16, shape: [2, 3], source: .bytes(half.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })))
        b.expected["emb"] = ([2, 3], half.map(Float.init))
        let brain = (0..<4).map { _ in UInt16(Float.random(in: -8...8, using: &rng).bitPattern >> 16) }
        b.entries.append(.init(name: "norm", dtype: .bfloat16, shape: [4], source: .bytes(brain.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) })))
        b.expected["norm"] = ([4], brain.map { Float(bitPattern: UInt32($0) << 16) })

        let json = try JSONSerialization.data(withJSONObject: b.quantization, options: [.sortedKeys])
        let metadata = ["pare.format": "pare-bundle/1", "pare.quantization": String(decoding: json, as: UTF8.self)]
        return (b.entries.shuffled(using: &rng), metadata, b.expected)
    }

    @Test(arguments: [1, 2] as [UInt64])
    func dequantizeMatchesSwift(seed: UInt64) throws {
        let (entries, metadata, expected) = try Self.build(seed: seed)
        try TemporaryDirectory.with { dir in
            let bundle = dir + "/model.safetensors", out = dir + "/dequantized.safetensors"
            try SafetensorsWriter.write(to: bundle, entries: entries, metadata: metadata)
            let r = try TestProcess.script("dequantize_bundle.py", [bundle, out])
            #expect(r.status == 0, "\(r.stderr)")
            let f = try SafetensorsFile(path: out)
            #expect(Set(f.tensors.map(\.name)) == Set(expected.keys), "helpers must not be written")
            for (name, want) in expected {
                let t = try #require(f[name], "\(name) missing")
                #expect(t.dtype == .float32, "\(name)")
                #expect(t.shape.dims == want.shape, "\(name)")
                let b = f.bytes(of: t)
                let got = (0..<t.byteCount / 4).map { b.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self) }
                #expect(got == want.values.map(\.bitPattern), "\(name)")
            }
        }
    }

    /// The nibble layout of docs/bundle-format.md: the int4 row [1, -2, 7] is stored as 0xE1, 0x07.
    @Test func documentedPackingExample() throws {
        let meta = #"{"w":{"cols":3,"dtype":"int4","granularity":"per-tensor","group":0,"rows":1,"scale":"w.scale","shape":[1,3],"symmetric":true,"zero_point":null}}"#
        try TemporaryDirectory.with { dir in
            let bundle = dir + "/model.safetensors", out = dir + "/out.safetensors"
            try SafetensorsWriter.write(to: bundle, entries: [
                .init(name: "w", dtype: .uint8, shape: [1, 2], source: .bytes([0xE1, 0x07])),
                .init(name: "w.scale", dtype: .float32, shape: [1], source: .bytes(Self.floatBytes([0.5]))),
            ], metadata: ["pare.format": "pare-bundle/1", "pare.quantization": meta])
            let r = try TestProcess.script("dequantize_bundle.py", [bundle, out])
            #expect(r.status == 0, "\(r.stderr)")
            let f = try SafetensorsFile(path: out)
            let w = try #require(f["w"])
            #expect(f.withBytes(of: w) { b in (0..<3).map { b.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) } } == [0.5, -1, 3.5])
        }
    }

    struct BadBundle: Sendable, CustomTestStringConvertible {
        var label: String
        var fragment: String
        /// Edits the built entries and metadata.
        var edit: @Sendable (inout [SafetensorsWriter.Entry], inout [String: String]) -> Void
        var testDescription: String { label }
    }

    static let badBundles: [BadBundle] = [
        .init(label: "not a pare bundle", fragment: "__metadata__['pare.format'] is None") { _, m in m["pare.format"] = nil },
        .init(label: "quantization not JSON", fragment: "pare.quantization'] is not JSON") { _, m in m["pare.quantization"] = "{oops" },
        .init(label: "missing scale", fragment: "tensor 'attn.q.scale': is missing") { e, _ in e.removeAll { $0.name == "attn.q.scale" } },
        .init(label: "packed shape wrong", fragment: "tensor 'attn.k': is U8 [3, 2], expected U8 [3, 3]") { e, _ in
            let i = e.firstIndex { $0.name == "attn.k" }!
            e[i] = .init(name: "attn.k", dtype: .uint8, shape: [3, 2], source: .bytes([UInt8](repeating: 0, count: 6)))
        },
        .init(label: "zero point out of range", fragment: "zero point outside the int4 range [-8, 7]") { e, _ in
            let i = e.firstIndex { $0.name == "attn.v.zero_point" }!
            e[i] = .init(name: "attn.v.zero_point", dtype: .int8, shape: [2, 3], source: .bytes([9, 0, 0, 0, 0, 0]))
        },
    ]

    @Test(arguments: badBundles)
    func badBundlesFailWithAMessage(_ c: BadBundle) throws {
        var (entries, metadata, _) = try Self.build(seed: 3)
        c.edit(&entries, &metadata)
        try TemporaryDirectory.with { dir in
            let bundle = dir + "/model.safetensors", out = dir + "/out.safetensors"
            try SafetensorsWriter.write(to: bundle, entries: entries, metadata: metadata)
            let r = try TestProcess.script("dequantize_bundle.py", [bundle, out])
            #expect(r.status == 1)
            #expect(r.stderr.contains(bundle), "\(r.stderr)")
            #expect(r.stderr.contains(c.fragment), "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }
}
