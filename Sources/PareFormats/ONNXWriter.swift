import Foundation
import PareBasics
import PareONNXProto
import SwiftProtobuf

/// Writes ONNX models from a skeleton (`ONNXFile.model`, possibly edited) and payloads, streaming: the
/// skeleton is serialized with SwiftProtobuf, then the output is laid out on the wire (`ONNXWritePlan`) with
/// each marked tensor's marker replaced by its payload, and written piece by piece, so payloads are copied
/// from their sources in chunks and never all held in memory.
///
/// - Marked tensors (`ONNXPayloadMarker`) get their payload as raw_data (field 9), their original doc_string
///   back, and nothing else changes. Fields stay in field-number order, so a model that `onnx` wrote with
///   raw_data comes back byte-identical when nothing was changed.
/// - With `externalData`, payloads of at least `externalThreshold` bytes go to that sidecar file (relative to
///   the model's folder) instead: `data_location = EXTERNAL` and external_data entries `location`, `offset`,
///   `length` in that order. Offsets are multiples of `externalAlignment` (4096, the page size ONNX recommends
///   so each tensor can be memory-mapped); the gaps are zero bytes. A payload key used by several tensors is
///   stored once. Smaller payloads stay inline.
/// - Output is deterministic (same skeleton and payload bytes → same files) and atomic per file (temporary
///   file + rename, via `AtomicFile`). The sidecar is renamed into place before the model; a crash between the
///   two can leave a new sidecar beside an old model, so bundles are assembled in a folder renamed as a whole.
public enum ONNXWriter {
    /// Where a payload comes from.
    public enum PayloadSource: Sendable, Hashable {
        /// The payload's bytes (raw little-endian values).
        case bytes([UInt8])
        /// `count` bytes of a file starting at `offset` (e.g. a tensor of a mapped input model).
        case file(path: String, offset: Int, count: Int)

        /// Payload size in bytes.
        public var count: Int {
            switch self {
            case .bytes(let b): return b.count
            case .file(_, _, let count): return count
            }
        }
    }

    /// Payloads of at least this many bytes go to the external data file when one is requested.
    public static let externalThreshold = 1024
    /// Alignment of every payload offset in the external data file.
    public static let externalAlignment = 4096
    /// Protobuf cannot parse messages of 2 GiB or more: larger models need external data.
    public static let maxProtobufSize = Int(Int32.max)

    /// Writes the model.
    /// - Parameters:
    ///   - path: the model file to write.
    ///   - model: the skeleton; every tensor whose doc_string is a payload marker receives `payloads[key]`.
    ///   - payloads: payload bytes by key; each must have exactly dims × dtype bytes of its tensor, and each must
    ///     be used by a marked tensor.
    ///   - externalData: when set, a relative path (inside the model's folder) for the sidecar data file.
    /// - Throws: `FormatError` naming `path` and the tensor for a missing, unused or wrong-sized payload, an
    ///   unreadable source, an invalid sidecar name or a model over 2 GiB without external data;
    ///   `AtomicFile.WriteError` when a file cannot be written. On error nothing appears at `path`.
    public static func write(to path: String, model: Onnx_ModelProto, payloads: [String: PayloadSource], externalData: String? = nil) throws {
        let sidecar = try externalData.map { try sidecarPath($0, modelPath: path) }
        let skeleton: [UInt8]
        do {
            skeleton = try model.serializedBytes()
        } catch {
            throw FormatError(file: path, message: "cannot serialize the model: \(error)")
        }
        var plan = ONNXWritePlan(path: path, payloads: payloads, externalData: externalData)
        try skeleton.withUnsafeBytes { try plan.build($0) }
        if let unused = payloads.keys.filter({ !plan.usedKeys.contains($0) }).min() {
            throw FormatError(file: path, tensor: unused, message: "payload '\(unused)' is not used: no tensor in the model carries its marker; remove it or mark the tensor (ONNXPayloadMarker.mark)")
        }
        if externalData == nil, plan.size > maxProtobufSize {
            throw FormatError(file: path, message: "the model would be \(plan.size) bytes, over protobuf's 2 GiB limit; write it with external data (externalData: \"model.onnx.data\")")
        }
        let readers = try openSources(payloads, path: path)

        func writePayload(_ key: String, fd: Int32, destination: String) throws {
            switch payloads[key]! {
            case .bytes(let b): try b.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: destination) }
            case .file(let source, let offset, let count):
                try readers[source]!.copy(offset: offset, count: count, to: fd, destination: destination)
            }
        }

        if let sidecar {
            try AtomicFile.write(to: sidecar) { fd in
                let zeros = [UInt8](repeating: 0, count: externalAlignment)
                var position = 0
                for slot in plan.externalSlots {
                    if slot.offset > position {
                        try zeros.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, UnsafeRawBufferPointer(rebasing: $0[0..<(slot.offset - position)]), path: sidecar) }
                    }
                    try writePayload(slot.key, fd: fd, destination: sidecar)
                    position = slot.offset + slot.count
                }
            }
        }
        try AtomicFile.write(to: path) { fd in
            try skeleton.withUnsafeBytes { s in
                for piece in plan.pieces {
                    switch piece {
                    case .skeleton(let r): try AtomicFile.writeAll(fd: fd, UnsafeRawBufferPointer(rebasing: s[r]), path: path)
                    case .literal(let b): try b.withUnsafeBytes { try AtomicFile.writeAll(fd: fd, $0, path: path) }
                    case .payload(let key): try writePayload(key, fd: fd, destination: path)
                    }
                }
            }
        }
    }

    /// The sidecar's path: `name` must be a relative path without `..` that stays in the model's folder.
    private static func sidecarPath(_ name: String, modelPath: String) throws -> String {
        guard !name.isEmpty, !name.hasPrefix("/"), !name.hasSuffix("/"), !name.utf8.contains(0),
              !name.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }) else {
            throw FormatError(file: modelPath, message: "external data name '\(name)' must be a relative path inside the model's folder, like 'model.onnx.data' (no leading '/', no '.' or '..' components)")
        }
        let folder = URL(fileURLWithPath: modelPath).deletingLastPathComponent()
        let sidecar = folder.appendingPathComponent(name).standardizedFileURL.path
        guard sidecar != URL(fileURLWithPath: modelPath).standardizedFileURL.path else {
            throw FormatError(file: modelPath, message: "external data name '\(name)' is the model file itself; choose another name, like 'model.onnx.data'")
        }
        return sidecar
    }

    /// Opens each distinct source file once and checks every file range, so a bad source fails before
    /// anything is written.
    private static func openSources(_ payloads: [String: PayloadSource], path: String) throws -> [String: FileReader] {
        var readers: [String: FileReader] = [:]
        for key in payloads.keys.sorted() {
            guard case .file(let source, let offset, let count) = payloads[key]! else { continue }
            let r: FileReader
            do {
                r = try readers[source] ?? FileReader(path: source)
            } catch let e as FormatError {
                throw FormatError(file: path, tensor: key, message: "payload source '\(source)': \(e.message)")
            }
            readers[source] = r
            guard offset >= 0, count >= 0, offset <= r.size, count <= r.size - offset else {
                throw FormatError(file: path, tensor: key, message: "payload range [\(offset), \(offset) + \(count)) lies outside \(source) (\(r.size) bytes)")
            }
        }
        return readers
    }
}
