import Foundation
import PareBasics
import PareFormats
import PareONNXProto
import PareRuntime
import PareTensor
import SwiftProtobuf

/// Helpers shared by the runtime tests: the repo's venv Python, the ONNX fixtures, ONNX Runtime's outputs
/// (scripts/run_onnx.py), the `pare` binary, and single-node models built in Swift.
enum Support {
    static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// Runs the repo's venv Python (made with scripts/setup-venv.sh when missing).
    static func python(_ args: [String]) throws -> (Int32, String, String) {
        let py = ProcessInfo.processInfo.environment["PARE_VENV"].map { $0 + "/bin/python" } ?? repoRoot + "/.venv/bin/python"
        if !FileManager.default.isExecutableFile(atPath: py) {
            _ = try run(["/bin/bash", repoRoot + "/scripts/setup-venv.sh"])
        }
        return try run([py] + args)
    }

    static func run(_ args: [String], cwd: String? = nil) throws -> (Int32, String, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: args[0])
        p.arguments = Array(args.dropFirst())
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// The `pare` executable built next to the test bundle.
    static var pareBinary: String {
        let exe = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent()
        for candidate in [exe, exe.deletingLastPathComponent()] {
            let p = candidate.appendingPathComponent("pare").path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return repoRoot + "/.build/debug/pare"
    }

    static let fixtureLock = NSLock()

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// The fixtures (cnn, transformer, constants and their .inputs.npz) at `opset`, generated once per folder.
    static func fixtures(opset: Int) throws -> String {
        fixtureLock.lock()
        defer { fixtureLock.unlock() }
        let script = FileManager.default.contents(atPath: repoRoot + "/scripts/onnx_fixtures.py") ?? Data()
        let dir = NSTemporaryDirectory() + "pare-runtime-fixtures-\(opset)-\(Digest.of(script).short)"
        if FileManager.default.fileExists(atPath: dir + "/constants.inputs.npz") { return dir }
        let (status, _, err) = try python([repoRoot + "/scripts/onnx_fixtures.py", dir, "--opset", String(opset), "--only", "cnn,transformer,constants"])
        guard status == 0 else { throw Failure(description: "onnx_fixtures.py failed: \(err)") }
        return dir
    }

    /// One sample: inputs and ONNX Runtime's outputs, by name.
    struct Sample {
        var inputs: [String: Tensor]
        var outputs: [String: Tensor]
    }

    struct Manifest: Decodable {
        struct Entry: Decodable { var name: String; var dtype: String; var shape: [Int]; var file: String }
        struct SampleEntry: Decodable { var inputs: [Entry]; var outputs: [Entry] }
        var samples: [SampleEntry]
        var bench_ms: [Double]?
    }

    /// Runs `model` in ONNX Runtime (1 thread) on the first `samples` samples of `inputs` (.npz).
    static func ort(model: String, inputs: String, samples: Int, optimize: Bool = true) throws -> [Sample] {
        let out = NSTemporaryDirectory() + "pare-runtime-ort-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: out) }
        let (status, _, err) = try python([repoRoot + "/scripts/run_onnx.py", model, inputs, out, "--samples", String(samples)] + (optimize ? [] : ["--no-optimize"]))
        guard status == 0 else { throw Failure(description: "run_onnx.py failed on \(model): \(err)") }
        let m = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json")))
        func load(_ e: Manifest.Entry) throws -> (String, Tensor) {
            let data = try Data(contentsOf: URL(fileURLWithPath: out + "/" + e.file))
            return (e.name, try tensor(data, dtype: e.dtype, shape: e.shape))
        }
        return try m.samples.map { s in
            Sample(inputs: Dictionary(uniqueKeysWithValues: try s.inputs.map(load)),
                   outputs: Dictionary(uniqueKeysWithValues: try s.outputs.map(load)))
        }
    }

    /// A tensor from raw little-endian bytes of a numpy dtype.
    static func tensor(_ data: Data, dtype: String, shape: [Int]) throws -> Tensor {
        let n = shape.reduce(1, *)
        return try data.withUnsafeBytes { raw -> Tensor in
            switch dtype {
            case "float32": return Tensor(floats: (0..<n).map { Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self).littleEndian) }, shape: shape)
            case "float16":
                let h = (0..<n).map { raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self).littleEndian }
                return Tensor(floats: h.map { Float(Float16(bitPattern: $0)) }, shape: shape, dtype: .float16)
            case "int64": return Tensor(ints: (0..<n).map { Int64(bitPattern: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self).littleEndian) }, shape: shape)
            case "int32": return Tensor(ints: (0..<n).map { Int64(Int32(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self).littleEndian)) }, shape: shape, dtype: .int32)
            case "uint8": return Tensor(ints: (0..<n).map { Int64(raw[$0]) }, shape: shape, dtype: .uint8)
            case "int8": return Tensor(ints: (0..<n).map { Int64(Int8(bitPattern: raw[$0])) }, shape: shape, dtype: .int8)
            case "bool": return Tensor(ints: (0..<n).map { Int64(raw[$0]) }, shape: shape, dtype: .bool)
            default: throw Failure(description: "dtype \(dtype) is not read by the tests")
            }
        }
    }

    /// max|a − b| / max(max|b|, tiny): the error of `a` relative to the largest magnitude of the reference `b`.
    static func maxRelativeError(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count)
        var diff = 0.0, scale = 0.0
        for i in a.indices {
            let d = abs(Double(a[i]) - Double(b[i]))
            diff = max(diff, d.isNaN ? .infinity : d)
            scale = max(scale, abs(Double(b[i])))
        }
        return diff / max(scale, 1e-30)
    }

    /// Runs `model` in the interpreter and in ONNX Runtime on `samples` samples; returns the worst max relative
    /// error over samples and outputs (integer outputs must be equal: error 0, else infinity).
    /// `optimize: false` runs ORT with every graph optimization off (Q/DQ nodes evaluated literally).
    static func compare(model: String, inputs: String, samples: Int = 2, optimize: Bool = true) throws -> Double {
        let reference = try ort(model: model, inputs: inputs, samples: samples, optimize: optimize)
        let interp = try Interpreter(path: model)
        var worst = 0.0
        for s in reference {
            let got = try interp.run(s.inputs)
            for (name, want) in s.outputs {
                guard let g = got[name] else { throw Failure(description: "output \(name) missing") }
                guard g.shape == want.shape else { throw Failure(description: "output \(name): shape \(g.shape), ORT \(want.shape)") }
                if let gi = g.ints, let wi = want.ints {
                    worst = max(worst, gi == wi ? 0 : .infinity)
                } else {
                    worst = max(worst, maxRelativeError(g.asFloats, want.asFloats))
                }
            }
        }
        return worst
    }
}
