import Foundation
import PareBasics
import PareTensor
@testable import PareFormats
import PareONNXProto

/// One indexed tensor as Python's onnx or pare reports it.
struct ONNXIndexEntry: Equatable, CustomStringConvertible {
    var name: String
    var dtype: String
    var shape: [Int]
    var bytes: Int
    var sha256: String

    var description: String { "\(name) \(dtype)\(shape) \(bytes) B \(sha256.prefix(12))" }

    init(name: String, dtype: String, shape: [Int], bytes: Int, sha256: String) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
        self.sha256 = sha256
    }

    init(json: Any) throws {
        guard let o = json as? [String: Any], let name = o["name"] as? String, let dtype = o["dtype"] as? String,
              let shape = o["shape"] as? [Int], let bytes = o["bytes"] as? Int, let sha = o["sha256"] as? String else {
            throw TestProcess.Failure(description: "not an index entry: \(json)")
        }
        self.init(name: name, dtype: dtype, shape: shape, bytes: bytes, sha256: sha)
    }
}

/// Models made by Python (`onnxTestPython`) and the two sides' indexes.
enum ONNXTestModels {
    static let kinds = ["opset21", "opset11", "external", "if", "rawonly"]

    /// Generates a model of `kind` in `dir`; returns its path and Python's index of it.
    static func generate(_ kind: String, seed: UInt64, in dir: String) throws -> (path: String, index: [ONNXIndexEntry]) {
        let r = try TestProcess.pythonSnippet(onnxTestPython, ["gen", kind, String(seed), dir])
        let lines = r.lines
        guard lines.count == 2 else { throw TestProcess.Failure(description: "gen printed \(lines.count) lines:\n\(r.stdout)\n\(r.stderr)") }
        return (lines[0], try parseIndex(lines[1]))
    }

    static func pythonIndex(_ paths: [String]) throws -> [[ONNXIndexEntry]] {
        try TestProcess.pythonSnippet(onnxTestPython, ["index"] + paths).lines.map(parseIndex)
    }

    struct CheckResult {
        var identical: Bool
        var finite: Bool
        var original: [ONNXIndexEntry]
        var written: [ONNXIndexEntry]
    }

    /// Full checker on `written`, and both models run in onnxruntime on one seeded input.
    static func check(seed: UInt64, original: String, written: String) throws -> CheckResult {
        let r = try TestProcess.runPython(["-c", onnxTestPython, "check", String(seed), original, written])
        guard r.status == 0, let line = r.lines.last,
              let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let identical = o["identical"] as? Bool, let finite = o["finite"] as? Bool,
              let a = o["original"] as? [Any], let b = o["written"] as? [Any] else {
            throw TestProcess.Failure(description: "onnx check of \(written) failed (status \(r.status)):\n\(r.stderr)\n\(r.stdout)")
        }
        return CheckResult(identical: identical, finite: finite, original: try a.map(ONNXIndexEntry.init(json:)), written: try b.map(ONNXIndexEntry.init(json:)))
    }

    static func parseIndex(_ line: String) throws -> [ONNXIndexEntry] {
        guard let a = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [Any] else {
            throw TestProcess.Failure(description: "not a JSON array: \(line)")
        }
        return try a.map(ONNXIndexEntry.init(json:))
    }

    /// pare's index of a file: the payload hashed through `withPayload`.
    static func index(of f: ONNXFile) throws -> [ONNXIndexEntry] {
        try f.tensors.map { t in
            let sha = try f.withPayload(t) { Digest.of($0).hex }
            return ONNXIndexEntry(name: t.name, dtype: t.dtype.rawValue, shape: t.shape.dims, bytes: t.byteCount, sha256: sha)
        }
    }
}

/// The skeleton's `TensorProto` of an indexed tensor.
func skeletonTensor(_ model: Onnx_ModelProto, _ t: ONNXTensorRef) -> Onnx_TensorProto {
    switch t.location {
    case .initializer(let i):
        return model.graph.initializer[i]
    case .constantNode(let n, _, let attribute):
        let node = model.graph.node[n]
        if let open = attribute.firstIndex(of: "["), let k = Int(attribute[attribute.index(after: open)...].dropLast()) {
            let name = String(attribute[..<open])
            return node.attribute.first { $0.name == name }!.tensors[k]
        }
        return node.attribute.first { $0.name == attribute }!.t
    }
}

/// SHA-256 of a file's bytes, read in 4 MiB chunks.
func fileDigest(_ path: String) throws -> String {
    let h = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
    defer { try? h.close() }
    var hasher = DigestHasher()
    while let chunk = try h.read(upToCount: 4 << 20), !chunk.isEmpty { hasher.update(chunk) }
    return hasher.finalize().hex
}
