import Foundation
import PareBasics
import PareTensor
import Testing
@testable import PareFormats

/// Every dtype safetensors can hold.
let safetensorsDTypes = DType.allCases.filter { $0.safetensorsName != nil }

/// A random tensor: rank 0–4, dims 0–5 (zero-sized dims included), random content (0/1 for bool).
func randomEntry(name: String, dtype: DType, rng: inout SplitMix64) -> (entry: SafetensorsWriter.Entry, bytes: [UInt8]) {
    let rank = Int.random(in: 0...4, using: &rng)
    let dims = (0..<rank).map { _ in Int.random(in: 0...5, using: &rng) }
    let shape = Shape(dims)
    let n = dtype.byteCount(elements: shape.elementCount!)!
    let bytes = dtype == .bool ? (0..<n).map { _ in UInt8.random(in: 0...1, using: &rng) } : rng.bytes(n)
    return (SafetensorsWriter.Entry(name: name, dtype: dtype, shape: shape, source: .bytes(bytes)), bytes)
}

@Suite struct SafetensorsRoundTripTests {
    @Test(arguments: safetensorsDTypes, [1, 2, 3] as [UInt64])
    func roundTripEveryDType(dtype: DType, seed: UInt64) throws {
        var rng = SplitMix64(seed: seed &* 1000 &+ UInt64(dtype.bits))
        let (entry, bytes) = randomEntry(name: "w.\(dtype)", dtype: dtype, rng: &rng)
        try TemporaryDirectory.with { dir in
            let path = dir + "/m.safetensors"
            try SafetensorsWriter.write(to: path, entries: [entry], metadata: ["seed": "\(seed)"])
            let file = try SafetensorsFile(path: path)
            #expect(file.tensors.count == 1)
            let t = try #require(file[entry.name])
            #expect(t.dtype == dtype)
            #expect(t.shape == entry.shape)
            #expect(t.byteCount == bytes.count)
            #expect(Array(file.bytes(of: t)) == bytes)
            #expect(file.metadata == ["seed": "\(seed)"])
            #expect(file.header.fileSize == (try TemporaryDirectory.read(path)).count)
            #expect(file.header.dataOffset % 8 == 0)
        }
    }

    @Test(arguments: [5, 6, 7] as [UInt64])
    func manyTensorsWithMetadata(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        var entries: [SafetensorsWriter.Entry] = []
        var expected: [String: [UInt8]] = [:]
        for i in 0..<Int.random(in: 1...12, using: &rng) {
            let dtype = safetensorsDTypes.randomElement(using: &rng)!
            let (e, b) = randomEntry(name: "layer\(i).\(["w", "b", "γ"].randomElement(using: &rng)!)", dtype: dtype, rng: &rng)
            entries.append(e)
            expected[e.name] = b
        }
        let metadata = ["pare.format": "pare-bundle/1", "quote\"back\\slash": "new\nline\ttab \u{1}", "emoji": "🦀 ü"]
        try TemporaryDirectory.with { dir in
            let path = dir + "/m.safetensors"
            try SafetensorsWriter.write(to: path, entries: entries, metadata: metadata)
            let file = try SafetensorsFile(path: path)
            file.adviseSequential()
            #expect(file.metadata == metadata)
            #expect(Set(file.tensors.map(\.name)) == Set(expected.keys))
            for t in file.tensors { #expect(Array(file.bytes(of: t)) == expected[t.name]) }
            // Data is laid out in entry order; the list is sorted by offset, then name.
            let offsets = file.tensors.map(\.offset)
            #expect(offsets == offsets.sorted())
            let byEntryOrder = entries.map { file[$0.name]!.offset }
            #expect(byEntryOrder == byEntryOrder.sorted())
            // The header-only read sees the same thing.
            let header = try SafetensorsHeader.read(path: path)
            #expect(header.tensors == file.tensors)
            #expect(header.metadata == metadata)
            #expect(header.dataOffset == file.header.dataOffset)
            #expect(header.fileSize == file.header.fileSize)
        }
    }

    @Test func headerIsCompactSortedAndPadded() throws {
        let entries = [
            SafetensorsWriter.Entry(name: "b", dtype: .float32, shape: [2], source: .bytes([UInt8](repeating: 1, count: 8))),
            SafetensorsWriter.Entry(name: "a", dtype: .int8, shape: [3], source: .bytes([7, 8, 9])),
            SafetensorsWriter.Entry(name: "Z", dtype: .bool, shape: [], source: .bytes([1])),
        ]
        let header = try SafetensorsWriter.headerBytes(entries: entries, metadata: ["k": "v"])
        let json = #"{"Z":{"data_offsets":[11,12],"dtype":"BOOL","shape":[]},"__metadata__":{"k":"v"},"a":{"data_offsets":[8,11],"dtype":"I8","shape":[3]},"b":{"data_offsets":[0,8],"dtype":"F32","shape":[2]}}"#
        var padded = Array(json.utf8)
        while padded.count % 8 != 0 { padded.append(0x20) }
        let n = UInt64(padded.count)
        #expect(Array(header[0..<8]) == (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) })
        #expect(Array(header[8...]) == padded)
        // No metadata object when there is no metadata.
        let bare = try SafetensorsWriter.headerBytes(entries: entries, metadata: [:])
        #expect(!String(decoding: bare, as: UTF8.self).contains("__metadata__"))
    }

    @Test(arguments: [21, 22] as [UInt64])
    func writesAreByteIdentical(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let entries = (0..<6).map { randomEntry(name: "t\($0)", dtype: safetensorsDTypes.randomElement(using: &rng)!, rng: &rng).entry }
        try TemporaryDirectory.with { dir in
            try SafetensorsWriter.write(to: dir + "/a.safetensors", entries: entries, metadata: ["x": "1", "y": "2"])
            try SafetensorsWriter.write(to: dir + "/b.safetensors", entries: entries, metadata: ["y": "2", "x": "1"])
            #expect(try TemporaryDirectory.read(dir + "/a.safetensors") == (try TemporaryDirectory.read(dir + "/b.safetensors")))
        }
    }

    @Test func fileSourcesAreCopiedFromOffsets() throws {
        var rng = SplitMix64(seed: 99)
        let big = rng.bytes(FileReader.chunkSize + 4096 + 12)  // more than one copy chunk
        try TemporaryDirectory.with { dir in
            let src = dir + "/src.bin"
            try TemporaryDirectory.write(big, to: src)
            let entries = [
                SafetensorsWriter.Entry(name: "head", dtype: .uint8, shape: [12], source: .file(path: src, offset: 0, count: 12)),
                SafetensorsWriter.Entry(name: "big", dtype: .float32, shape: [(big.count - 12) / 4], source: .file(path: src, offset: 12, count: big.count - 12)),
                SafetensorsWriter.Entry(name: "inline", dtype: .int16, shape: [2], source: .bytes([1, 2, 3, 4])),
            ]
            let out = dir + "/out.safetensors"
            try SafetensorsWriter.write(to: out, entries: entries, metadata: [:])
            let f = try SafetensorsFile(path: out)
            #expect(Array(f.bytes(named: "head")!) == Array(big[0..<12]))
            #expect(Array(f.bytes(named: "big")!) == Array(big[12...]))
            #expect(Array(f.bytes(named: "inline")!) == [1, 2, 3, 4])
            // Reading a mapped tensor back into a new file through its offset.
            let t = f["big"]!
            let copy = dir + "/copy.safetensors"
            try SafetensorsWriter.write(to: copy, entries: [.init(name: "big", dtype: t.dtype, shape: t.shape, source: .file(path: out, offset: t.offset, count: t.byteCount))], metadata: [:])
            let copied = try SafetensorsFile(path: copy)
            #expect(copied.withBytes(of: copied["big"]!, Array.init) == Array(big[12...]))
        }
    }

    /// Thousands of tensors taken from one source file (as a bundle takes unchanged tensors from its input)
    /// share one open descriptor, and a large header round-trips.
    @Test func manyTensorsFromOneSourceFile() throws {
        var rng = SplitMix64(seed: 31)
        let count = 3000
        let source = rng.bytes(count * 8)
        try TemporaryDirectory.with { dir in
            let src = dir + "/src.bin"
            try TemporaryDirectory.write(source, to: src)
            let entries = (0..<count).map { i in
                SafetensorsWriter.Entry(name: "layers.\(i).weight", dtype: .float16, shape: [2, 2], source: .file(path: src, offset: 8 * (count - 1 - i), count: 8))
            }
            let out = dir + "/many.safetensors"
            try SafetensorsWriter.write(to: out, entries: entries, metadata: [:])
            let f = try SafetensorsFile(path: out)
            #expect(f.tensors.count == count)
            for i in [0, 1, 1234, count - 1] {
                let t = try #require(f["layers.\(i).weight"])
                #expect(f.withBytes(of: t, Array.init) == Array(source[(8 * (count - 1 - i))..<(8 * (count - i))]))
            }
        }
    }

    struct WriterErrorCase: Sendable, CustomTestStringConvertible {
        var label: String
        var entries: @Sendable (String) -> [SafetensorsWriter.Entry]
        var tensor: String
        var fragment: String
        var testDescription: String { label }
    }

    static let writerErrors: [WriterErrorCase] = [
        .init(label: "duplicate name", entries: { _ in [.init(name: "a", dtype: .uint8, shape: [1], source: .bytes([1])), .init(name: "a", dtype: .uint8, shape: [1], source: .bytes([2]))] }, tensor: "a", fragment: "appears twice"),
        .init(label: "byte count", entries: { _ in [.init(name: "w", dtype: .float32, shape: [3], source: .bytes([1, 2, 3]))] }, tensor: "w", fragment: "has 3 bytes but shape [3] of float32 needs 12"),
        .init(label: "int4 has no safetensors dtype", entries: { _ in [.init(name: "q", dtype: .int4, shape: [2], source: .bytes([0x21]))] }, tensor: "q", fragment: "no safetensors encoding"),
        .init(label: "reserved name", entries: { _ in [.init(name: "__metadata__", dtype: .uint8, shape: [1], source: .bytes([1]))] }, tensor: "__metadata__", fragment: "reserved"),
        .init(label: "negative dim", entries: { _ in [.init(name: "n", dtype: .uint8, shape: [-1], source: .bytes([]))] }, tensor: "n", fragment: "shape [-1] is invalid"),
        .init(label: "overflowing shape", entries: { _ in [.init(name: "big", dtype: .float64, shape: [1 << 62, 4], source: .bytes([]))] }, tensor: "big", fragment: "more elements than"),
        .init(label: "missing source file", entries: { dir in [.init(name: "f", dtype: .uint8, shape: [4], source: .file(path: dir + "/nope.bin", offset: 0, count: 4))] }, tensor: "", fragment: "nope.bin: cannot open: no such file"),
        .init(label: "source range outside file", entries: { dir in [.init(name: "f", dtype: .uint8, shape: [4], source: .file(path: dir + "/four.bin", offset: 2, count: 4))] }, tensor: "f", fragment: "lies outside"),
    ]

    @Test(arguments: writerErrors)
    func writerRejectsBadEntries(_ c: WriterErrorCase) throws {
        try TemporaryDirectory.with { dir in
            try TemporaryDirectory.write([1, 2, 3, 4], to: dir + "/four.bin")
            let path = dir + "/out.safetensors"
            let error = try #require(throws: FormatError.self) {
                try SafetensorsWriter.write(to: path, entries: c.entries(dir), metadata: [:])
            }
            if !c.tensor.isEmpty {
                #expect(error.file == path)
                #expect(error.tensor == c.tensor)
            }
            #expect(error.description.contains(c.fragment), "\(error)")
            // Nothing was left behind: no output, no temporary file.
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["four.bin"])
        }
    }
}
