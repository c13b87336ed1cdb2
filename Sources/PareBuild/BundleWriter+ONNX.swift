import Foundation
import PareBasics
import PareFormats
import PareKernels
import PareONNXProto
import PareTensor
import SwiftProtobuf

extension BundleWriter {
    /// The ONNX model of a bundle: the source skeleton with every changed weight written in the encoding the
    /// target runs (DequantizeLinear, MatMulNBits, float16 + Cast, or new float values), and the payloads of the
    /// unchanged weights streamed from the content store.
    static func onnxModel(for model: ModelArtifact, store: ContentStore, options: ONNXEncodeOptions) throws
        -> (model: Onnx_ModelProto, payloads: [String: ONNXWriter.PayloadSource], report: [String])
    {
        guard let graphDigest = model.graph else {
            throw BuildError(step: "bundle", message: "the model artifact has no ONNX graph; rebuild from an ONNX source")
        }
        let skeleton = try Onnx_ModelProto(serializedBytes: [UInt8](store.data(graphDigest)))
        let keys = model.payloadKeys ?? [:]
        var weights: [String: ONNXWeightEncoding] = [:]
        var payloads: [String: ONNXWriter.PayloadSource] = [:]
        for t in model.tensors {
            let file = store.path(for: t.digest)
            if let q = t.quant {
                let data = [UInt8](try store.data(t.digest))
                let (scales, zeroPoints) = try store.scalesAndZeroPoints(of: q)
                weights[t.name] = .quantized(ONNXQuantizedWeight(
                    dtype: q.dtype.rawValue, granularity: q.granularity.rawValue, group: q.group, symmetric: q.symmetric,
                    axis: q.axis ?? 0, shape: t.shape.dims, data: data, scales: scales, zeroPoints: zeroPoints))
            } else if let p = t.palette {
                let indices = [UInt8](try store.data(t.digest))
                let table: [Float] = try store.data(p.table).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
                weights[t.name] = .palettized(ONNXPalettizedWeight(bits: p.bits, axis: p.axis ?? 0, shape: t.shape.dims,
                                                                   groupChannels: p.groupChannels, indices: indices, table: table))
            } else if options.keepFloat16Compute && t.dtype == .float32 {
                // float16 compute: every float weight is stored in float16, also those no pass changed.
                let halves: [UInt16] = try store.data(t.digest).withUnsafeBytes { HalfPrecision.toFloat16($0.bindMemory(to: Float.self), threads: 1) }
                weights[t.name] = .float16(halves)
            } else if t.digest == t.origin {
                if let key = keys[t.name] { payloads[key] = .file(path: file, offset: 0, count: t.byteCount) }
            } else if t.dtype == .float16 || t.dtype == .bfloat16 {
                let halves: [UInt16] = try store.data(t.digest).withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)) }
                weights[t.name] = t.dtype == .float16 ? .float16(halves) : .bfloat16(halves)
            } else if t.dtype == t.originDType, let key = keys[t.name] {
                // Same type and shape, new values (pruned): stream them from the store in place of the source.
                payloads[key] = .file(path: file, offset: 0, count: t.byteCount)
            } else if t.dtype == .float32 {
                let floats: [Float] = try store.data(t.digest).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
                weights[t.name] = .float32Replaced(floats)
            } else {
                throw BuildError(step: "bundle", message: "tensor '\(t.name)' is \(t.dtype) after its passes but was \(t.originDType) in the ONNX model; pare cannot write that change")
            }
        }
        var options = options
        if let a = model.activations {
            options.activations = a.quantized
            options.dynamicActivations = a.dynamic
        }
        let result = try ONNXEncoder.encode(skeleton, weights: weights, options: options)
        // Supply payloads only for the markers still in the model (encoded weights replaced theirs).
        let remaining = markerKeys(in: result.model)
        payloads = payloads.filter { remaining.contains($0.key) }
        return (result.model, payloads, result.report)
    }

    /// The payload keys of every marked tensor of the main graph (initializers and node attributes).
    static func markerKeys(in model: Onnx_ModelProto) -> Set<String> {
        var keys = Set<String>()
        for t in model.graph.initializer { if let k = ONNXPayloadMarker.key(of: t) { keys.insert(k) } }
        for n in model.graph.node {
            for a in n.attribute {
                if a.hasT, let k = ONNXPayloadMarker.key(of: a.t) { keys.insert(k) }
                for t in a.tensors { if let k = ONNXPayloadMarker.key(of: t) { keys.insert(k) } }
            }
        }
        return keys
    }
}
