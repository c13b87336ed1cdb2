import PareTensor

/// The layout of an ONNX file to write: the serialized skeleton walked on the wire (model → graph →
/// initializer / node → attribute → t / tensors, and subgraphs g / graphs), with every marked tensor rewritten
/// to carry its payload — as raw_data, or as external data in the sidecar — and every enclosing length prefix
/// recomputed. Payload sizes are known in advance, so the plan is complete before a byte is written; the
/// output is then streamed piece by piece.
struct ONNXWritePlan {
    enum Piece {
        /// Bytes of the serialized skeleton.
        case skeleton(Range<Int>)
        /// New bytes (tags, length prefixes, external_data entries).
        case literal([UInt8])
        /// The payload registered under this key.
        case payload(String)
    }

    /// One payload placed in the sidecar file.
    struct ExternalSlot {
        var key: String
        var offset: Int
        var count: Int
    }

    let path: String
    let payloads: [String: ONNXWriter.PayloadSource]
    /// The sidecar's location relative to the model's folder, when payloads go to external data.
    let externalData: String?

    private(set) var pieces: [Piece] = []
    private(set) var size = 0
    private(set) var externalSlots: [ExternalSlot] = []
    private(set) var externalEnd = 0
    private var externalOffsets: [String: Int] = [:]
    private(set) var usedKeys = Set<String>()

    init(path: String, payloads: [String: ONNXWriter.PayloadSource], externalData: String?) {
        self.path = path
        self.payloads = payloads
        self.externalData = externalData
    }

    /// Plans the whole model from its serialized skeleton.
    mutating func build(_ bytes: UnsafeRawBufferPointer) throws {
        var r = ONNXWireReader(bytes, 0..<bytes.count)
        var out: [Piece] = []
        var total = 0
        while let f = try next(&r, ONNXWireSchema.model, "ModelProto") {
            if f.number == 7, let g = try graph(bytes, f.value, context: "the graph") {
                append(wrapped(f.number, g), to: &out, &total)
            } else {
                append(([.skeleton(f.range)], f.range.count), to: &out, &total)
            }
        }
        pieces = out
        size = total
    }

    // MARK: - Messages (nil: unchanged, copy the field as it is)

    private typealias Planned = (pieces: [Piece], size: Int)

    private mutating func graph(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, context: String) throws -> Planned? {
        var r = ONNXWireReader(bytes, range)
        var out: [Piece] = []
        var total = 0, changed = false, initializerIndex = 0, nodeIndex = 0
        while let f = try next(&r, ONNXWireSchema.graph, "GraphProto in \(context)") {
            var sub: Planned?
            if f.number == 5 {
                sub = try tensor(bytes, f.value, context: "\(context), initializer \(initializerIndex)")
                initializerIndex += 1
            } else if f.number == 1 {
                sub = try node(bytes, f.value, context: "\(context), node \(nodeIndex)")
                nodeIndex += 1
            }
            changed = changed || sub != nil
            append(sub.map { wrapped(f.number, $0) } ?? ([.skeleton(f.range)], f.range.count), to: &out, &total)
        }
        return changed ? (out, total) : nil
    }

    private mutating func node(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, context: String) throws -> Planned? {
        var r = ONNXWireReader(bytes, range)
        var out: [Piece] = []
        var total = 0, changed = false, attributeIndex = 0
        while let f = try next(&r, ONNXWireSchema.node, "NodeProto in \(context)") {
            var sub: Planned?
            if f.number == 5 {
                sub = try attribute(bytes, f.value, context: "\(context), attribute \(attributeIndex)")
                attributeIndex += 1
            }
            changed = changed || sub != nil
            append(sub.map { wrapped(f.number, $0) } ?? ([.skeleton(f.range)], f.range.count), to: &out, &total)
        }
        return changed ? (out, total) : nil
    }

    private mutating func attribute(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, context: String) throws -> Planned? {
        var r = ONNXWireReader(bytes, range)
        var out: [Piece] = []
        var total = 0, changed = false
        while let f = try next(&r, ONNXWireSchema.attribute, "AttributeProto in \(context)") {
            var sub: Planned?
            switch f.number {
            case 5, 10: sub = try tensor(bytes, f.value, context: context)
            case 6, 11: sub = try graph(bytes, f.value, context: "\(context), subgraph")
            default: break
            }
            changed = changed || sub != nil
            append(sub.map { wrapped(f.number, $0) } ?? ([.skeleton(f.range)], f.range.count), to: &out, &total)
        }
        return changed ? (out, total) : nil
    }

    // MARK: - Tensors

    private mutating func tensor(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, context: String) throws -> Planned? {
        let (s, error) = ONNXTensorScan.scan(bytes, range)
        if let error { throw internalError(error, context) }
        guard let marker = s.docString.flatMap(ONNXPayloadMarker.parse) else {
            if s.dataLocation == 1 {
                let location = s.external.first(where: { $0.key == "location" })?.value ?? "?"
                throw FormatError(file: path, tensor: s.name ?? context, message: "refers to external data '\(location)' of the model it came from, which the writer cannot carry over; mark it (ONNXPayloadMarker.mark) and pass its payload")
            }
            return nil
        }
        let key = marker.key
        let name = s.name.flatMap { $0.isEmpty ? nil : $0 } ?? key
        func fail(_ message: String) -> FormatError { FormatError(file: path, tensor: name, message: message) }
        if s.rawData != nil || !s.typed.isEmpty || s.hasStringData || !s.external.isEmpty || s.dataLocation == 1 {
            throw fail("carries the payload marker '\(key)' and data of its own; clear its data (ONNXPayloadMarker.mark does) or remove the marker")
        }
        guard let code = s.dataType, let dtype = ONNXDataType.dtype(code: code) else {
            throw fail("data type \(s.dataType.map { "\(ONNXDataType.name(code: $0)) (\($0))" } ?? "missing") cannot be written; use one of the types DType lists")
        }
        let shape = Shape(s.dims.map { Int($0) })
        guard !s.dims.contains(where: { $0 < 0 }), let elements = shape.elementCount, let expected = dtype.byteCount(elements: elements) else {
            throw fail("dims \(shape) are invalid (a negative dimension, or more elements than a 64-bit integer can count)")
        }
        guard let source = payloads[key] else {
            throw fail("is marked for payload '\(key)' but no payload was given under that key")
        }
        guard source.count == expected else {
            throw fail("payload '\(key)' has \(source.count) bytes but dims \(shape) of \(dtype) need \(expected)")
        }
        usedKeys.insert(key)

        var inserts: [(number: Int, pieces: [Piece], size: Int)] = []
        if let externalData, expected >= ONNXWriter.externalThreshold {
            let offset = slot(for: key, count: expected)
            var entries: [UInt8] = []
            for (k, v) in [("location", externalData), ("offset", String(offset)), ("length", String(expected))] {
                var entry: [UInt8] = []
                ONNXWireEncoder.appendStringField(1, k, to: &entry)
                ONNXWireEncoder.appendStringField(2, v, to: &entry)
                ONNXWireEncoder.appendBytesField(13, entry, to: &entries)
            }
            inserts.append((13, [.literal(entries)], entries.count))
            var location: [UInt8] = []
            ONNXWireEncoder.appendVarintField(14, 1, to: &location)
            inserts.append((14, [.literal(location)], location.count))
        } else {
            let prefix = ONNXWireEncoder.lengthPrefix(9, expected)
            inserts.append((9, [.literal(prefix), .payload(key)], prefix.count + expected))
        }
        if !marker.docString.isEmpty {
            var doc: [UInt8] = []
            ONNXWireEncoder.appendStringField(12, marker.docString, to: &doc)
            inserts.append((12, [.literal(doc)], doc.count))
        }
        inserts.sort { $0.number < $1.number }

        // Fields in the skeleton's order (field-number order, as SwiftProtobuf writes), new ones slotted in.
        var out: [Piece] = []
        var total = 0
        var pending = inserts[...]
        for f in s.fields {
            if f.number == 12 || (f.number == 14 && externalData != nil && expected >= ONNXWriter.externalThreshold) { continue }
            while let i = pending.first, i.number < f.number {
                append((i.pieces, i.size), to: &out, &total)
                pending = pending.dropFirst()
            }
            append(([.skeleton(f.range)], f.range.count), to: &out, &total)
        }
        for i in pending { append((i.pieces, i.size), to: &out, &total) }
        return (out, total)
    }

    /// The sidecar offset of `key`'s payload: assigned on first use, aligned to `ONNXWriter.externalAlignment`.
    /// A key used by several tensors is stored once.
    private mutating func slot(for key: String, count: Int) -> Int {
        if let o = externalOffsets[key] { return o }
        let a = ONNXWriter.externalAlignment
        let offset = (externalEnd + a - 1) / a * a
        externalOffsets[key] = offset
        externalSlots.append(ExternalSlot(key: key, offset: offset, count: count))
        externalEnd = offset + count
        return offset
    }

    // MARK: - Helpers

    private func next(_ r: inout ONNXWireReader, _ schema: ONNXWireSchema.Fields, _ message: String) throws -> ONNXWireField? {
        do {
            guard let f = try r.next() else { return nil }
            try ONNXWireSchema.check(f, in: schema, message: message)
            return f
        } catch let e as ONNXWireError {
            throw internalError(e, message)
        }
    }

    /// The skeleton comes from SwiftProtobuf, so a wire error here means the model holds bytes fields that
    /// are not what they claim (e.g. unknown fields copied from a corrupt file).
    private func internalError(_ e: ONNXWireError, _ context: String) -> FormatError {
        FormatError(file: path, message: "cannot lay out the model: the serialized skeleton is malformed in \(context) at byte \(e.offset) (\(e.message))")
    }

    private func wrapped(_ number: Int, _ content: Planned) -> Planned {
        let prefix = ONNXWireEncoder.lengthPrefix(number, content.size)
        return ([.literal(prefix)] + content.pieces, prefix.count + content.size)
    }

    /// Appends pieces, merging adjacent skeleton ranges.
    private func append(_ p: Planned, to out: inout [Piece], _ total: inout Int) {
        for piece in p.pieces {
            if case .skeleton(let r) = piece, case .skeleton(let last)? = out.last, last.upperBound == r.lowerBound {
                out[out.count - 1] = .skeleton(last.lowerBound..<r.upperBound)
            } else {
                out.append(piece)
            }
        }
        total += p.size
    }
}
