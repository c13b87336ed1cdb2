import Foundation
import PareONNXProto
import PareTensor
import SwiftProtobuf

/// An ONNX model opened lazily: the file is memory-mapped, every weight tensor of the main graph is indexed by
/// walking the protobuf wire format (no payload is copied), and `model` is a **skeleton** `Onnx_ModelProto`
/// parsed from a copy of the bytes without the large payloads, so opening a model costs about the size of its
/// graph structure, not of its weights.
///
/// Indexed tensors (`tensors`): the graph's initializers (file order), then the tensors in node attributes
/// (`Constant` nodes' `value`, and any other TENSOR / TENSORS attribute; file order). Their payloads may be
/// raw_data, typed fields (float_data, int32_data, int64_data, double_data, uint64_data) or external data
/// (data_location = EXTERNAL; location / offset / length relative to the model's folder, which must contain the
/// data file, also after symbolic links are resolved).
///
/// Skeleton: each tensor with a payload of at least `stripThreshold` bytes, and each tensor stored as external
/// data, has its data fields removed and `doc_string = "pare-payload:<payloadKey>"` (see `ONNXPayloadMarker`).
/// Smaller tensors stay inline. Not indexed and left untouched in the skeleton: subgraphs (If / Loop / Scan
/// attributes g and graphs), functions, training info and sparse initializers.
///
/// Like any memory-mapped reader, replacing the file in place (rather than by rename) while it is open can
/// fault on access; pare writes files with rename.
public final class ONNXFile: @unchecked Sendable {
    /// Payloads of at least this many bytes are stripped from the skeleton by default.
    public static let defaultStripThreshold = 1024

    public let path: String
    /// The skeleton model: every stripped tensor carries a marker instead of its data.
    public let model: Onnx_ModelProto
    /// Graph order: initializers first (file order), then node-attribute tensors.
    public let tensors: [ONNXTensorRef]
    /// Opset imports: domain ("" for ai.onnx) → version.
    public let opsetImports: [String: Int]
    /// The threshold used for this file.
    public let stripThreshold: Int
    /// Size of the serialized skeleton that was parsed (the model's bytes minus the stripped payloads).
    public let skeletonByteCount: Int

    private let mapping: ONNXMappedFile
    private let externalFiles: [ONNXMappedFile]
    private let payloads: [ONNXPayload]
    private let indexByKey: [String: Int]

    /// Opens, indexes and validates the model at `path`.
    /// - Parameter stripThreshold: payloads of at least this many bytes are left out of `model`.
    /// - Throws: `FormatError` naming the file (and the tensor or node) when the file cannot be read, is not an
    ///   ONNX model, is corrupt, or holds a tensor pare cannot read (see docs/onnx-io.md).
    public init(path: String, stripThreshold: Int = ONNXFile.defaultStripThreshold) throws {
        self.path = path
        self.stripThreshold = stripThreshold
        let mapping = try ONNXMappedFile(path: path, reportAs: path, what: nil)
        guard mapping.size > 0 else {
            throw FormatError(file: path, message: "is empty (0 bytes); expected an ONNX model")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let indexer = ONNXIndexer(path: path, bytes: mapping.bytes, modelFolder: folder, stripThreshold: stripThreshold,
                                  done: { [unowned mapping] in mapping.dropResident($0) })
        let skeleton = try mapping.withTransientAccess { try indexer.run() }
        do {
            model = try Onnx_ModelProto(serializedBytes: skeleton)
        } catch {
            throw FormatError(file: path, message: "the model's structure does not parse as ONNX (\(error)); the file is corrupt — re-export it")
        }
        self.mapping = mapping
        self.skeletonByteCount = skeleton.count
        externalFiles = indexer.externalFiles
        let all = indexer.initializers + indexer.nodeTensors
        tensors = all.map(\.ref)
        payloads = all.map(\.payload)
        var index: [String: Int] = [:]
        for (i, t) in tensors.enumerated() { index[t.payloadKey] = i }
        indexByKey = index
        var opsets: [String: Int] = [:]
        for o in model.opsetImport { opsets[o.domain == "ai.onnx" ? "" : o.domain] = Int(o.version) }
        opsetImports = opsets
    }

    /// The tensor whose payload key (its name) is `key`.
    public subscript(key: String) -> ONNXTensorRef? {
        indexByKey[key].map { tensors[$0] }
    }

    /// Calls `body` with the tensor's raw little-endian payload: zero-copy for raw_data (in the mapped model)
    /// and external data (in the mapped data file), a decoded copy for typed fields. The buffer is valid only
    /// during the call.
    /// - Throws: `FormatError` when `t` is not a tensor of this file; whatever `body` throws.
    public func withPayload<R>(_ t: ONNXTensorRef, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let i = try position(of: t)
        return try withExtendedLifetime(self) {
            switch payloads[i] {
            case .raw(let offset):
                return try body(UnsafeRawBufferPointer(rebasing: mapping.bytes[offset..<offset + t.byteCount]))
            case .external(let file, let offset):
                return try body(UnsafeRawBufferPointer(rebasing: externalFiles[file].bytes[offset..<offset + t.byteCount]))
            case .typed(let pieces):
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: t.byteCount, alignment: 16)
                defer { buffer.deallocate() }
                buffer.initializeMemory(as: UInt8.self, repeating: 0)
                ONNXPayload.decodeTyped(pieces, dtype: t.dtype, from: mapping.bytes, into: buffer)
                return try body(UnsafeRawBufferPointer(buffer))
            }
        }
    }

    /// Where `ONNXWriter` can take the tensor's unchanged payload from: a range of the model or external data
    /// file (streamed when written), or the decoded bytes for typed fields.
    public func payloadSource(for t: ONNXTensorRef) throws -> ONNXWriter.PayloadSource {
        let i = try position(of: t)
        switch payloads[i] {
        case .raw(let offset): return .file(path: path, offset: offset, count: t.byteCount)
        case .external(let file, let offset): return .file(path: externalFiles[file].path, offset: offset, count: t.byteCount)
        case .typed: return .bytes(try withPayload(t) { Array($0) })
        }
    }

    /// The payload sources of every stripped tensor, by payload key: with `model` this writes the model back
    /// unchanged (`ONNXWriter.write(to:model:payloads:)`).
    public func payloadSources() throws -> [String: ONNXWriter.PayloadSource] {
        var out: [String: ONNXWriter.PayloadSource] = [:]
        for t in tensors where t.isStripped { out[t.payloadKey] = try payloadSource(for: t) }
        return out
    }

    private func position(of t: ONNXTensorRef) throws -> Int {
        guard let i = indexByKey[t.payloadKey], tensors[i] == t else {
            throw FormatError(file: path, tensor: t.name, message: "is not a tensor of this file; use a reference from this ONNXFile's `tensors`")
        }
        return i
    }
}
