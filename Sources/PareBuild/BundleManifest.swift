import PareBasics
import PareFormats
import ParePasses
import PareTensor

/// `manifest.json` of a bundle: what was built, from what, how, and how far each tensor moved.
/// Contains no timestamps, host names or absolute paths, so equal inputs give byte-identical manifests.
public struct BundleManifest: Sendable, Codable {
    public struct Tool: Sendable, Codable { public var name = "pare"; public var version = pareVersion }
    public struct RecipeInfo: Sendable, Codable { public var name: String; public var sha256: String }
    public struct TargetInfo: Sendable, Codable { public var id: String; public var name: String; public var kind: String; public var vendor: String; public var format: String }
    public struct Source: Sendable, Codable { public var path: String; public var sha256: String; public var format: String; public var artifact: String; public var tensors: Int; public var bytes: Int }
    public struct PassEntry: Sendable, Codable {
        public var id: String; public var pass: String; public var version: Int; public var config: JSONValue
        /// What a model pass (fold, lowrank, structured prune, distill, gptq, mixed-precision) did; absent for
        /// tensor-by-tensor passes.
        public var report: PassReport? = nil
    }
    /// The ONNX external-data sidecar that holds the model's weights (`model.onnx.data`).
    public struct ExternalData: Sendable, Codable { public var file: String; public var sha256: String; public var bytes: Int }
    public struct Output: Sendable, Codable {
        public var file: String; public var format: String; public var sha256: String; public var bytes: Int; public var artifact: String
        /// ONNX: the sidecar beside `file` that holds its weights; absent when the model file holds them.
        public var externalData: ExternalData? = nil
        enum CodingKeys: String, CodingKey { case file, format, sha256, bytes, artifact, externalData = "external_data" }
    }
    public struct Sizes: Sendable, Codable {
        /// Bytes of all tensors in the source model.
        public var sourceTensorBytes: Int
        /// Bytes of all tensors in the bundle (data + scales + zero points).
        public var outputTensorBytes: Int
        /// sourceTensorBytes / outputTensorBytes.
        public var compressionRatio: Double
        enum CodingKeys: String, CodingKey {
            case sourceTensorBytes = "source_tensor_bytes", outputTensorBytes = "output_tensor_bytes", compressionRatio = "compression_ratio"
        }
    }
    public struct Encoding: Sendable, Codable {
        public var dtype: String
        public var granularity: String
        public var group: Int
        public var symmetric: Bool
        /// "mse" when the parameters were fitted by search; absent for minmax.
        public var fit: String?
    }
    public struct ErrorInfo: Sendable, Codable {
        public var maxAbs: Double; public var rmse: Double; public var sqnrDB: Double
        enum CodingKeys: String, CodingKey { case maxAbs = "max_abs", rmse, sqnrDB = "sqnr_db" }
    }
    public struct TensorEntry: Sendable, Codable {
        public var name: String
        public var dtype: String
        public var shape: [Int]
        public var sourceDType: String
        public var bytes: Int
        public var sourceBytes: Int
        public var encoding: Encoding?
        public var sparsity: Double?
        public var error: ErrorInfo?
        public var passes: [String]
        enum CodingKeys: String, CodingKey {
            case name, dtype, shape, bytes, encoding, sparsity, error, passes
            case sourceDType = "source_dtype", sourceBytes = "source_bytes"
        }
    }

    public var schema = "pare-manifest/1"
    public var tool = Tool()
    public var recipe: RecipeInfo
    public var target: TargetInfo
    public var source: Source
    public var passes: [PassEntry]
    public var output: Output
    public var sizes: Sizes
    public var tensors: [TensorEntry]
    /// ONNX: how each compressed weight was written (DequantizeLinear, MatMulNBits, Cast, opset changes).
    public var encodings: [String]?
    /// ONNX: how activations are quantized (absent when they stay float).
    public var activations: ActivationInfo?
    /// The evaluate step's metrics, gate outcomes, sensitivity and fallbacks (absent without evaluation).
    public var evaluation: EvaluationReport?
    /// Palettized weights the target runs natively (its `lut_bits` holds their bits), for a converter that keeps
    /// them as look-up tables (e.g. Core ML); absent for other targets, which run the ONNX Gather expansion.
    public var palettized: [PaletteInfo]? = nil

    /// One natively runnable palettized weight.
    public struct PaletteInfo: Sendable, Codable, Equatable {
        public var name: String
        public var bits: Int
        public var tables: Int
        /// Output channels per table (the whole channel axis for one table).
        public var groupChannels: Int
        /// The tensor axis holding the output channels.
        public var axis: Int
        enum CodingKeys: String, CodingKey { case name, bits, tables, axis, groupChannels = "group_channels" }
    }

    /// The palettized tensors of `model` whose bits are in `lutBits`, by name; nil when there are none.
    static func palettized(model: ModelArtifact, lutBits: [Int]) -> [PaletteInfo]? {
        let out = model.tensors.compactMap { t -> PaletteInfo? in
            guard let p = t.palette, lutBits.contains(p.bits) else { return nil }
            return PaletteInfo(name: t.name, bits: p.bits, tables: p.tables, groupChannels: p.groupChannels, axis: p.axis ?? 0)
        }.sorted { $0.name < $1.name }
        return out.isEmpty ? nil : out
    }

    /// Activation quantization as recorded in the manifest.
    public struct ActivationInfo: Sendable, Codable {
        /// "static" (QDQ) or "dynamic".
        public var mode: String
        public var method: String?
        /// Quantized activations and their parameters.
        public var quantized: [ONNXActivationQuant]
        /// Activations kept in float, with the reason.
        public var kept: [String: String]
        init(_ a: ActivationEncoding) {
            mode = a.dynamic ? "dynamic" : "static"
            method = a.method.isEmpty ? nil : a.method
            quantized = a.quantized
            kept = a.kept
        }
    }

    /// Per-tensor entries for a built model against its source.
    static func tensorEntries(model: ModelArtifact, source: ModelArtifact) -> [TensorEntry] {
        var sourceBytes: [String: Int] = [:]
        for t in source.tensors { sourceBytes[t.name] = t.byteCount }
        return model.tensors.map { t in
            let n = t.shape.elementCount ?? 0
            return TensorEntry(
                name: t.name, dtype: t.dtype.rawValue, shape: t.shape.dims, sourceDType: t.originDType.rawValue,
                bytes: t.storedBytes, sourceBytes: sourceBytes[t.name] ?? t.byteCount,
                encoding: t.quant.map { Encoding(dtype: $0.dtype.rawValue, granularity: $0.granularity.rawValue, group: $0.group, symmetric: $0.symmetric, fit: $0.fit) },
                sparsity: t.zeros.map { n == 0 ? 0 : Double($0) / Double(n) },
                error: t.error.map { ErrorInfo(maxAbs: $0.maxAbs, rmse: $0.rmse, sqnrDB: $0.sqnrDB) },
                passes: t.passes)
        }
    }
}
