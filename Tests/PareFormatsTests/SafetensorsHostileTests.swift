import PareBasics
import Foundation
import PareTensor
import Testing
@testable import PareFormats

@Suite struct SafetensorsHostileTests {
    static let path = "models/x.safetensors"

    @Test(arguments: hostileCases)
    func parseRejects(_ c: HostileCase) throws {
        let error = try #require(throws: FormatError.self) {
            try SafetensorsHeader.parse(headerBytes: c.bytes, fileSize: c.claimedSize ?? c.bytes.count, path: Self.path)
        }
        #expect(error.file == Self.path)
        #expect(error.tensor == c.tensor)
        #expect(error.description.hasPrefix(Self.path + ": " + (c.tensor.map { "tensor '\($0)': " } ?? "")))
        #expect(error.description.contains(c.fragment), "\(error)")
    }

    /// The same bytes as a real file: the mapped reader and the header-only reader give the same error.
    @Test(arguments: hostileCases.filter { $0.claimedSize == nil })
    func fileReadersReject(_ c: HostileCase) throws {
        try TemporaryDirectory.with { dir in
            let path = dir + "/x.safetensors"
            try TemporaryDirectory.write(c.bytes, to: path)
            let mapped = try #require(throws: FormatError.self) { try SafetensorsFile(path: path) }
            let headerOnly = try #require(throws: FormatError.self) { try SafetensorsHeader.read(path: path) }
            #expect(mapped.file == path)
            #expect(mapped.tensor == c.tensor)
            #expect(mapped.description.contains(c.fragment), "\(mapped)")
            #expect(headerOnly == mapped)
        }
    }

    @Test func exampleMessageIsExact() throws {
        let bytes = safetensorsFile("{" + f32Entry("fc.weight", "[1024]", "[0,4096]") + "}", dataSize: 1024)
        let error = try #require(throws: FormatError.self) {
            try SafetensorsHeader.parse(headerBytes: bytes, fileSize: bytes.count, path: "models/x.safetensors")
        }
        #expect(error.description == "models/x.safetensors: tensor 'fc.weight': data_offsets [0, 4096] end past the data section (1024 bytes); the file is truncated or corrupt — re-export it")
    }

    /// Dimensions whose element or byte count overflows `Int` are errors, never traps.
    @Test(arguments: [
        ("[9223372036854775807,2]", "F32"), ("[3037000500,3037000500]", "U8"), ("[4611686018427387904,2]", "I8"),
        ("[1152921504606846976,1,2,4]", "BOOL"), ("[4611686018427387904]", "F16"), ("[2305843009213693952]", "I32"),
        ("[1,1,1,1,1,1,1,1,4294967296,4294967296]", "F64"),
    ])
    func bigDimsOverflow(shape: String, dtype: String) throws {
        let bytes = safetensorsFile(#"{"big":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":[0,8]}}"#, dataSize: 8)
        let error = try #require(throws: FormatError.self) {
            try SafetensorsHeader.parse(headerBytes: bytes, fileSize: bytes.count, path: "big.safetensors")
        }
        #expect(error.tensor == "big")
        #expect(error.message.contains("overflow"), "\(error)")
    }

    @Test func acceptedEdgeCases() throws {
        // null metadata, trailing spaces, unknown entry fields, zero-sized tensors anywhere, escaped names.
        let header = #"{"__metadata__":null,"e":{"dtype":"F32","shape":[0,3],"data_offsets":[4,4]},"a\"\u00e9":{"dtype":"U8","shape":[4],"data_offsets":[0,4],"extra":{"x":[1,2]}},"z":{"dtype":"I8","shape":[],"data_offsets":[4,5]}}"# + "      "
        let bytes = safetensorsFile(header, dataSize: 5)
        let h = try SafetensorsHeader.parse(headerBytes: bytes, fileSize: bytes.count, path: "ok.safetensors")
        #expect(h.metadata.isEmpty)
        #expect(h.tensors.map(\.name) == ["a\"é", "e", "z"])
        #expect(h.tensors.map(\.offset) == [8 + header.utf8.count, 12 + header.utf8.count, 12 + header.utf8.count])
        #expect(h.tensors[1].shape == [0, 3])
        #expect(h.tensors[2].shape == [])
        #expect(h.dataSize == 5)
    }

    /// Seeded mutations of a valid file (byte flips, truncation, digit edits, wrong lengths) must either parse
    /// into a consistent header or fail with a FormatError naming the file — never trap or throw anything else.
    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func mutatedFilesNeverCrash(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let entries = (0..<5).map { randomEntry(name: "t\($0)", dtype: safetensorsDTypes.randomElement(using: &rng)!, rng: &rng).entry }
        let header = try SafetensorsWriter.headerBytes(entries: entries, metadata: ["k": "v"])
        var valid = header
        for e in entries { if case .bytes(let b) = e.source { valid += b } }
        var accepted = 0, rejected = 0
        for _ in 0..<300 {
            var b = valid
            switch Int.random(in: 0..<5, using: &rng) {
            case 0:  // flip bytes anywhere in the header
                for _ in 0..<Int.random(in: 1...3, using: &rng) { b[Int.random(in: 0..<header.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng) }
            case 1:  // truncate
                b.removeLast(Int.random(in: 1...b.count, using: &rng))
            case 2:  // rewrite a digit of the JSON
                let digits = (8..<header.count).filter { b[$0] >= 0x30 && b[$0] <= 0x39 }
                if let i = digits.randomElement(using: &rng) { b[i] = UInt8.random(in: 0x30...0x39, using: &rng) }
            case 3:  // random length prefix
                for i in 0..<8 { b[i] = i < Int.random(in: 1...8, using: &rng) ? UInt8.random(in: 0...255, using: &rng) : 0 }
            default:  // append or drop data bytes
                if Bool.random(using: &rng) { b += rng.bytes(Int.random(in: 1...9, using: &rng)) } else if b.count > header.count { b.removeLast() }
            }
            do {
                let h = try SafetensorsHeader.parse(headerBytes: b, fileSize: b.count, path: "fuzz.safetensors")
                var covered = h.dataOffset
                for t in h.tensors.sorted(by: { ($0.offset, $0.byteCount) < ($1.offset, $1.byteCount) }) {
                    #expect(t.offset == covered)
                    covered += t.byteCount
                }
                #expect(covered == b.count)
                accepted += 1
            } catch let e as FormatError {
                #expect(e.file == "fuzz.safetensors")
                rejected += 1
            }
        }
        #expect(rejected > 100)
        #expect(accepted > 0)
    }
}
