import PareTensor

/// Walks a memory-mapped ONNX model on the wire — ModelProto → graph (7) → initializer (5) and node (1) →
/// attribute (5) → t (5) / tensors (10) — indexing every weight tensor, and builds the skeleton: a copy of the
/// model's bytes in which large payloads are replaced by markers (`ONNXPayloadMarker`), with the enclosing
/// length prefixes rewritten. Nothing else is interpreted: subgraphs (attributes g / graphs), functions,
/// training info and sparse initializers are copied into the skeleton unchanged and their tensors are not
/// indexed.
final class ONNXIndexer {
    let path: String
    let bytes: UnsafeRawBufferPointer
    let modelFolder: String
    let stripThreshold: Int

    /// Indexed initializers in file order, then node tensors in file order.
    private(set) var initializers: [(ref: ONNXTensorRef, payload: ONNXPayload)] = []
    private(set) var nodeTensors: [(ref: ONNXTensorRef, payload: ONNXPayload)] = []
    /// External data files by index, mapped once each.
    private(set) var externalFiles: [ONNXMappedFile] = []
    private var externalIndex: [String: Int] = [:]
    /// Where each tensor name was first defined, for duplicate detection.
    private var definedAt: [String: String] = [:]

    /// Called with the byte range of each initializer and node once it is indexed (the reader unmaps it).
    private let done: (Range<Int>) -> Void

    init(path: String, bytes: UnsafeRawBufferPointer, modelFolder: String, stripThreshold: Int, done: @escaping (Range<Int>) -> Void = { _ in }) {
        self.path = path
        self.bytes = bytes
        self.modelFolder = modelFolder
        self.stripThreshold = stripThreshold
        self.done = done
    }

    // MARK: - Model

    /// Indexes the model and returns the skeleton's bytes.
    func run() throws -> [UInt8] {
        var out: [UInt8] = []
        var r = ONNXWireReader(bytes, 0..<bytes.count)
        var sawIRVersion = false, graphs = 0
        while true {
            let field: ONNXWireField
            do {
                guard let f = try r.next() else { break }
                try ONNXWireSchema.check(f, in: ONNXWireSchema.model, message: "ModelProto")
                field = f
            } catch let e as ONNXWireError {
                if sawIRVersion { throw corrupt(e, "the model") }
                throw FormatError(file: path, message: "is not an ONNX model: it does not parse as a protobuf ModelProto (\(e.message), at byte offset \(e.offset))")
            }
            switch field.number {
            case 1:
                sawIRVersion = true
                copy(field, to: &out)
            case 7:
                graphs += 1
                guard graphs == 1 else {
                    throw FormatError(file: path, message: "the model has \(graphs) graph fields; a model has one graph — the file is corrupt, re-export it")
                }
                emit(field, try graph(field.value), to: &out)
            default:
                copy(field, to: &out)
            }
        }
        guard sawIRVersion, graphs == 1 else {
            let missing = sawIRVersion ? "graph (ModelProto field 7)" : graphs == 1 ? "ir_version (ModelProto field 1)" : "ir_version and graph"
            throw FormatError(file: path, message: "is not an ONNX model: it has no \(missing)")
        }
        return out
    }

    // MARK: - Graph and nodes

    private func graph(_ range: Range<Int>) throws -> [UInt8] {
        var out: [UInt8] = []
        var r = ONNXWireReader(bytes, range)
        var initializerIndex = 0, nodeIndex = 0
        while let f = try next(&r, ONNXWireSchema.graph, "GraphProto", context: "the graph") {
            switch f.number {
            case 5:
                let content = try initializer(f, index: initializerIndex)
                initializerIndex += 1
                emit(f, content, to: &out)
                done(f.range)
            case 1:
                let content = try node(f, index: nodeIndex)
                nodeIndex += 1
                emit(f, content, to: &out)
                done(f.range)
            default:
                copy(f, to: &out)
            }
        }
        return out
    }

    private func initializer(_ f: ONNXWireField, index: Int) throws -> [UInt8]? {
        let context = "initializer \(index)"
        let (scan, error) = ONNXTensorScan.scan(bytes, f.value)
        if let error { throw corrupt(error, context + (scan.name.map { " '\($0)'" } ?? ""), tensor: scan.name) }
        guard let name = scan.name, !name.isEmpty else {
            throw FormatError(file: path, message: "\(context) has no name; every initializer needs a unique name — fix the exporter")
        }
        try define(name, at: context, isInitializer: true)
        let (ref, payload) = try describe(scan, name: name, location: .initializer(index: index))
        initializers.append((ref, payload))
        return ref.isStripped ? stripped(scan, key: ref.payloadKey) : nil
    }

    private struct NodeInfo {
        var index: Int
        var name = ""
        var opType = ""
        var domain = ""
        var outputs: [String] = []
        var label: String { name.isEmpty ? "node\(index)" : name }
        var isConstant: Bool { opType == "Constant" && (domain.isEmpty || domain == "ai.onnx") }
        var context: String { "node \(index)" + (name.isEmpty ? "" : " '\(name)'") + " (\(opType.isEmpty ? "no op_type" : opType))" }
    }

    private func node(_ f: ONNXWireField, index: Int) throws -> [UInt8]? {
        var info = NodeInfo(index: index)
        var fields: [ONNXWireField] = []
        var r = ONNXWireReader(bytes, f.value)
        while let a = try next(&r, ONNXWireSchema.node, "NodeProto", context: "node \(index)") {
            fields.append(a)
            switch a.number {
            case 2: info.outputs.append(ONNXWireReader.string(bytes, a.value))
            case 3: info.name = ONNXWireReader.string(bytes, a.value)
            case 4: info.opType = ONNXWireReader.string(bytes, a.value)
            case 7: info.domain = ONNXWireReader.string(bytes, a.value)
            default: break
            }
        }
        var out: [UInt8] = []
        var changed = false
        var attributeIndex = 0
        for a in fields {
            if a.number == 5 {
                let content = try attribute(a, index: attributeIndex, node: info)
                attributeIndex += 1
                changed = changed || content != nil
                emit(a, content, to: &out)
            } else {
                copy(a, to: &out)
            }
        }
        return changed ? out : nil
    }

    private func attribute(_ f: ONNXWireField, index: Int, node: NodeInfo) throws -> [UInt8]? {
        var fields: [ONNXWireField] = []
        var name = ""
        var r = ONNXWireReader(bytes, f.value)
        while let a = try next(&r, ONNXWireSchema.attribute, "AttributeProto", context: "\(node.context), attribute \(index)") {
            fields.append(a)
            if a.number == 1 { name = ONNXWireReader.string(bytes, a.value) }
        }
        let attributeName = name.isEmpty ? "attribute\(index)" : name
        let context = "\(node.context), attribute '\(attributeName)'"
        guard fields.filter({ $0.number == 5 }).count <= 1 else {
            throw FormatError(file: path, message: "\(context) has more than one tensor value (field t); the file is corrupt — re-export it")
        }
        var out: [UInt8] = []
        var changed = false
        var listIndex = 0
        for a in fields {
            var content: [UInt8]?
            if a.number == 5 {
                let tensorName: String
                if node.isConstant && name == "value" {
                    tensorName = node.outputs.first.flatMap { $0.isEmpty ? nil : $0 } ?? "\(node.label)/value"
                } else {
                    tensorName = "\(node.label)/\(attributeName)"
                }
                content = try nodeTensor(a, name: tensorName, attribute: attributeName, node: node, context: context)
            } else if a.number == 10 {
                let item = "\(attributeName)[\(listIndex)]"
                content = try nodeTensor(a, name: "\(node.label)/\(item)", attribute: item, node: node, context: "\(node.context), attribute '\(item)'")
                listIndex += 1
            }
            changed = changed || content != nil
            emit(a, content, to: &out)
        }
        return changed ? out : nil
    }

    private func nodeTensor(_ f: ONNXWireField, name: String, attribute: String, node: NodeInfo, context: String) throws -> [UInt8]? {
        let (scan, error) = ONNXTensorScan.scan(bytes, f.value)
        if let error { throw corrupt(error, context, tensor: name) }
        try define(name, at: context, isInitializer: false)
        let location = ONNXTensorRef.Location.constantNode(nodeIndex: node.index, nodeName: node.name, attribute: attribute)
        let (ref, payload) = try describe(scan, name: name, location: location)
        nodeTensors.append((ref, payload))
        return ref.isStripped ? stripped(scan, key: ref.payloadKey) : nil
    }

    private func define(_ name: String, at context: String, isInitializer: Bool) throws {
        if let first = definedAt[name] {
            let what = isInitializer && first.hasPrefix("initializer") ? "is used as initializer twice" : "is defined twice"
            throw FormatError(file: path, tensor: name, message: "\(what) (\(first) and \(context)); tensor names must be unique — fix the exporter")
        }
        definedAt[name] = context
    }

    // MARK: - Tensors

    /// Checks a scanned tensor (data type, dims, payload storage and size) and locates its payload.
    private func describe(_ s: ONNXTensorScan, name: String, location: ONNXTensorRef.Location) throws -> (ONNXTensorRef, ONNXPayload) {
        func fail(_ message: String) -> FormatError { FormatError(file: path, tensor: name, message: message) }
        guard let code = s.dataType else { throw fail("has no data_type; the file is corrupt — re-export it") }
        guard let dtype = ONNXDataType.dtype(code: code) else {
            throw fail("data type \(ONNXDataType.name(code: code)) (\(code)) is not supported; pare reads FLOAT, DOUBLE, FLOAT16, BFLOAT16, INT8/16/32/64, UINT8/16/32/64, INT4, UINT4 and BOOL tensors")
        }
        guard !s.hasSegment else { throw fail("is a segment of a larger tensor (TensorProto.segment); pare does not read segmented tensors") }
        var dims: [Int] = []
        for (i, d) in s.dims.enumerated() {
            guard d >= 0 else { throw fail("dims[\(i)] = \(d) is negative; the file is corrupt — re-export it") }
            dims.append(Int(d))
        }
        let shape = Shape(dims)
        guard let elements = shape.elementCount else { throw fail("dims \(shape) have more elements than a 64-bit integer can count; the file is corrupt") }
        guard let byteCount = dtype.byteCount(elements: elements) else { throw fail("dims \(shape) of \(dtype) need more bytes than a 64-bit integer can count; the file is corrupt") }
        let need = "dims \(shape) of \(dtype) need \(byteCount) bytes"
        let payload: ONNXPayload
        let isExternal: Bool
        switch s.dataLocation ?? 0 {
        case 0: isExternal = false
        case 1: isExternal = true
        case let v: throw fail("data_location = \(v) is neither DEFAULT (0) nor EXTERNAL (1); the file is corrupt")
        }
        if isExternal {
            guard s.rawData == nil, s.typed.isEmpty else {
                throw fail("data_location is EXTERNAL but the tensor also holds \(s.rawData != nil ? "raw_data" : ONNXDataType.typedFieldName(s.typed[0].number)); the file is corrupt — re-export it")
            }
            payload = try external(s, name: name, byteCount: byteCount, need: need)
        } else if let raw = s.rawData {
            guard s.typed.isEmpty else {
                throw fail("holds both raw_data and \(ONNXDataType.typedFieldName(s.typed[0].number)); a tensor stores its values in one of them — the file is corrupt")
            }
            guard raw.value.count == byteCount else {
                throw fail("raw_data holds \(raw.value.count) bytes but \(need) (\(elements) elements); the file is corrupt — re-export it")
            }
            payload = .raw(offset: raw.valueStart)
        } else if !s.typed.isEmpty {
            let field = ONNXDataType.typedField(for: dtype)
            if let bad = s.typed.first(where: { $0.number != field }) {
                throw fail("holds \(ONNXDataType.typedFieldName(bad.number)), but \(dtype) values are stored in \(ONNXDataType.typedFieldName(field)) (or raw_data); the file is corrupt")
            }
            let count = s.typedCount(bytes)
            let expected = dtype.bits == 4 ? byteCount : elements
            guard count == expected else {
                let unit = dtype.bits == 4 ? "packed bytes (two 4-bit values each)" : "values"
                throw fail("\(ONNXDataType.typedFieldName(field)) holds \(count) values but dims \(shape) need \(expected) \(unit); the file is corrupt — re-export it")
            }
            payload = .typed(pieces: s.typed)
        } else {
            guard byteCount == 0 else {
                throw fail("has no data (no raw_data, typed values or external data) but \(need); the file is corrupt — re-export it")
            }
            payload = .typed(pieces: [])
        }
        let ref = ONNXTensorRef(name: name, dtype: dtype, shape: shape, location: location, byteCount: byteCount,
                                payloadKey: name, isStripped: isExternal || byteCount >= stripThreshold)
        return (ref, payload)
    }

    private func external(_ s: ONNXTensorScan, name: String, byteCount: Int, need: String) throws -> ONNXPayload {
        let info = try ONNXExternalData(entries: s.external, file: path, tensor: name)
        let real = try info.resolve(modelFolder: modelFolder, file: path, tensor: name)
        let fileIndex: Int
        if let i = externalIndex[real] {
            fileIndex = i
        } else {
            let mapped = try ONNXMappedFile(path: real, reportAs: path, tensor: name, what: "external data file '\(info.location)'")
            fileIndex = externalFiles.count
            externalFiles.append(mapped)
            externalIndex[real] = fileIndex
        }
        let size = externalFiles[fileIndex].size
        guard info.offset <= size else {
            throw FormatError(file: path, tensor: name, message: "external data offset \(info.offset) is past the end of '\(info.location)' (\(size) bytes); the data file is truncated or does not belong to this model")
        }
        let length = info.length ?? (size - info.offset)
        guard length <= size - info.offset else {
            throw FormatError(file: path, tensor: name, message: "external data [\(info.offset), \(info.offset) + \(length)) runs past the end of '\(info.location)' (\(size) bytes); the data file is truncated or does not belong to this model")
        }
        guard length == byteCount else {
            throw FormatError(file: path, tensor: name, message: "external data length \(length) bytes but \(need); the data file does not match the model — re-export it")
        }
        return .external(file: fileIndex, offset: info.offset)
    }

    /// The content of a stripped tensor: its fields without payload and external-data fields (data_location
    /// kept only when DEFAULT) and without its doc_string, followed by the marker doc_string.
    private func stripped(_ s: ONNXTensorScan, key: String) -> [UInt8] {
        var out: [UInt8] = []
        for f in s.fields {
            if ONNXTensorScan.payloadFields.contains(f.number) || f.number == 12 { continue }
            if f.number == 14 && f.varint != 0 { continue }
            copy(f, to: &out)
        }
        ONNXWireEncoder.appendStringField(12, ONNXPayloadMarker.docString(key: key, original: s.docString ?? ""), to: &out)
        return out
    }

    // MARK: - Helpers

    private func next(_ r: inout ONNXWireReader, _ schema: ONNXWireSchema.Fields, _ message: String, context: String) throws -> ONNXWireField? {
        do {
            guard let f = try r.next() else { return nil }
            try ONNXWireSchema.check(f, in: schema, message: message)
            return f
        } catch let e as ONNXWireError {
            throw corrupt(e, context)
        }
    }

    private func corrupt(_ e: ONNXWireError, _ context: String, tensor: String? = nil) -> FormatError {
        FormatError(file: path, tensor: tensor, message: "corrupt protobuf in \(context) at byte offset \(e.offset): \(e.message); the file is truncated or corrupt — re-export it")
    }

    private func copy(_ f: ONNXWireField, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[f.range]))
    }

    /// The field itself when `content` is nil, else the field with new content and length prefix.
    private func emit(_ f: ONNXWireField, _ content: [UInt8]?, to out: inout [UInt8]) {
        guard let content else { return copy(f, to: &out) }
        out += ONNXWireEncoder.lengthPrefix(f.number, content.count)
        out += content
    }
}
