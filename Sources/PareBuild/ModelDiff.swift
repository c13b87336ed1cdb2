import Foundation
import PareBasics
import PareFormats
import PareKernels
import PareTensor

/// `pare diff A B`: compares the **effective weights** of two models tensor by tensor.
///
/// The effective weights of a model are the float32 values its operators actually read, whatever the storage:
/// - safetensors: F32 / F16 / BF16 / F64 tensors (converted exactly, F64 rounded to nearest), and pare bundle
///   weights dequantized from `pare.quantization` metadata (docs/bundle-format.md); `.scale` / `.zero_point`
///   helpers are not listed;
/// - ONNX: every float initializer / `Constant` output, and every float value computed from constants only by
///   `DequantizeLinear`, `Cast`, `Reshape`, `Transpose`, `Sub`, `Mul` (evaluated in float32 as ONNX defines the
///   ops), listed under the name of the last value of such a chain; `com.microsoft.MatMulNBits` weights
///   dequantized as `[K, N]` under the original MatMul weight's name (docs/diff.md).
///
/// A is the reference. Per tensor present in both: max |a − b|, RMSE = √(Σ(a−b)² / n), SQNR = 10·log10(Σa² / Σ(a−b)²)
/// (+∞ when equal), and each side's zero fraction. Sums are accumulated in Double, in element order.
public enum ModelDiff {
    /// One effective weight of a model, before its values are read.
    public struct WeightInfo: Sendable, Hashable {
        /// The name the model's operators read it by.
        public var name: String
        /// The element type of the stored data the values come from (`int4` for a 4-bit quantized weight).
        public var storedDType: String
        /// How the stored data becomes the values: `plain`, `Cast float16`, `DequantizeLinear int8 per-axis axis 0`,
        /// `DequantizeLinear int4 blocked 32 axis 0`, `MatMulNBits 4-bit block 32`, `Cast/Mul int8`,
        /// `pare int4 per-group 32 asym`, ...
        public var encoding: String

        public init(name: String, storedDType: String, encoding: String) {
            self.name = name
            self.storedDType = storedDType
            self.encoding = encoding
        }
    }

    /// The effective values of one weight: its shape and float32 values (row-major).
    public struct Values: Sendable {
        public var shape: [Int]
        public var values: [Float]

        public init(shape: [Int], values: [Float]) {
            self.shape = shape
            self.values = values
        }
    }

    /// The effective weights of one model file, read one tensor at a time.
    public protocol WeightSource: AnyObject {
        /// The model file.
        var path: String { get }
        /// Every effective weight, in the file's order.
        var weights: [WeightInfo] { get }
        /// Computes the values of weight `name`.
        /// - Throws: `DiagnosticError` naming the file and tensor when its stored data is inconsistent.
        func load(_ name: String) throws -> Values
    }

    /// The comparison of one tensor present in both models.
    public struct TensorRow: Sendable, Codable, Equatable {
        public var name: String
        public var aDType: String
        public var bDType: String
        /// A's shape.
        public var shape: [Int]
        /// B's shape when it differs from A's (then the metrics are nil unless the element counts match).
        public var bShape: [Int]?
        /// nil when the element counts differ.
        public var maxAbs: Double?
        public var rmse: Double?
        /// nil when infinite (the values are equal) or not comparable.
        public var sqnrDB: Double?
        public var aSparsity: Double
        public var bSparsity: Double
        /// B's encoding, or A's when B's is `plain`.
        public var encoding: String

        /// True when both sides have the same element count (the metrics are defined).
        public var comparable: Bool { maxAbs != nil }
        /// True when the values are identical (SQNR +∞).
        public var identical: Bool { comparable && maxAbs == 0 }

        enum CodingKeys: String, CodingKey {
            case name, shape, rmse, encoding
            case aDType = "a_dtype", bDType = "b_dtype", bShape = "b_shape", maxAbs = "max_abs", sqnrDB = "sqnr_db"
            case aSparsity = "a_sparsity", bSparsity = "b_sparsity"
        }

        public init(name: String, aDType: String, bDType: String, shape: [Int], bShape: [Int]?, maxAbs: Double?, rmse: Double?,
                    sqnrDB: Double?, aSparsity: Double, bSparsity: Double, encoding: String) {
            self.name = name
            self.aDType = aDType
            self.bDType = bDType
            self.shape = shape
            self.bShape = bShape
            self.maxAbs = maxAbs
            self.rmse = rmse
            self.sqnrDB = sqnrDB
            self.aSparsity = aSparsity
            self.bSparsity = bSparsity
            self.encoding = encoding
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            aDType = try c.decode(String.self, forKey: .aDType)
            bDType = try c.decode(String.self, forKey: .bDType)
            shape = try c.decode([Int].self, forKey: .shape)
            bShape = try c.decodeIfPresent([Int].self, forKey: .bShape)
            maxAbs = try c.decodeIfPresent(Double.self, forKey: .maxAbs)
            rmse = try c.decodeIfPresent(Double.self, forKey: .rmse)
            sqnrDB = try c.decodeIfPresent(Double.self, forKey: .sqnrDB)
            aSparsity = try c.decode(Double.self, forKey: .aSparsity)
            bSparsity = try c.decode(Double.self, forKey: .bSparsity)
            encoding = try c.decode(String.self, forKey: .encoding)
        }

        /// Writes `sqnr_db`, `max_abs` and `rmse` as JSON null when nil; `b_shape` only when it differs.
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(aDType, forKey: .aDType)
            try c.encode(bDType, forKey: .bDType)
            try c.encode(shape, forKey: .shape)
            try c.encodeIfPresent(bShape, forKey: .bShape)
            try c.encode(maxAbs, forKey: .maxAbs)
            try c.encode(rmse, forKey: .rmse)
            try c.encode(sqnrDB, forKey: .sqnrDB)
            try c.encode(aSparsity, forKey: .aSparsity)
            try c.encode(bSparsity, forKey: .bSparsity)
            try c.encode(encoding, forKey: .encoding)
        }
    }

    /// The whole comparison: `--json` prints exactly this.
    public struct Report: Sendable, Codable, Equatable {
        public var a: String
        public var b: String
        /// Sorted by SQNR ascending (worst first; shape mismatches first, identical tensors last), then name.
        public var tensors: [TensorRow]
        public var onlyA: [String]
        public var onlyB: [String]

        enum CodingKeys: String, CodingKey { case a, b, tensors, onlyA = "only_a", onlyB = "only_b" }

        public init(a: String, b: String, tensors: [TensorRow], onlyA: [String], onlyB: [String]) {
            self.a = a
            self.b = b
            self.tensors = tensors
            self.onlyA = onlyA
            self.onlyB = onlyB
        }
    }

    /// Error statistics of `candidate` against `reference` (same count), accumulated in Double in element order.
    public struct Metrics: Sendable, Equatable {
        public var maxAbs: Double
        /// √(Σ(a−b)² / n); 0 for empty tensors.
        public var rmse: Double
        /// 10·log10(Σa² / Σ(a−b)²): +∞ when Σ(a−b)² = 0, −∞ when Σa² = 0 < Σ(a−b)².
        public var sqnrDB: Double
        public var referenceSparsity: Double
        public var candidateSparsity: Double
    }

    /// Computes ``Metrics`` (NaN differences count as infinite error: max_abs and RMSE become NaN / ∞).
    public static func metrics(reference a: [Float], candidate b: [Float]) -> Metrics {
        precondition(a.count == b.count, "ModelDiff.metrics: \(a.count) vs \(b.count) elements")
        var maxAbs = 0.0, signal = 0.0, noise = 0.0
        var zerosA = 0, zerosB = 0
        for i in 0..<a.count {
            let x = Double(a[i]), y = Double(b[i])
            let d = x - y
            let ad = abs(d)
            if ad > maxAbs || ad.isNaN { maxAbs = ad.isNaN ? .nan : max(maxAbs, ad) }
            signal += x * x
            noise += d * d
            if a[i] == 0 { zerosA += 1 }
            if b[i] == 0 { zerosB += 1 }
        }
        let n = Double(max(1, a.count))
        let sqnr: Double = noise == 0 ? .infinity : signal == 0 ? -.infinity : 10 * log10(signal / noise)
        return Metrics(maxAbs: maxAbs, rmse: (noise / n).squareRoot(), sqnrDB: sqnr,
                       referenceSparsity: a.isEmpty ? 0 : Double(zerosA) / n, candidateSparsity: b.isEmpty ? 0 : Double(zerosB) / n)
    }

    /// Zero fraction of `v` (0 for an empty tensor).
    static func sparsity(_ v: [Float]) -> Double {
        v.isEmpty ? 0 : Double(v.reduce(0) { $0 + ($1 == 0 ? 1 : 0) }) / Double(v.count)
    }

    /// Opens a model file (safetensors or ONNX, detected by content) or a bundle folder (its `model.safetensors`
    /// or `model.onnx`).
    /// - Throws: `DiagnosticError` naming the file when it is missing, not a supported model, or corrupt.
    public static func open(_ path: String) throws -> any WeightSource {
        var file = path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw fileError(path, "no such file or folder; check the path")
        }
        if isDir.boolValue {
            let candidates = ["model.safetensors", "model.onnx"].map { (path as NSString).appendingPathComponent($0) }
            guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
                throw fileError(path, "is a folder without model.safetensors or model.onnx; pass a model file or a bundle folder")
            }
            file = found
        }
        let format: ModelFileFormat?
        do { format = try ModelFileFormat.detect(path: file) } catch { throw fileError(file, "\(error)") }
        do {
            switch format {
            case .safetensors: return try SafetensorsWeights(path: file)
            case .onnx: return try ONNXWeights(path: file)
            case .gguf: throw fileError(file, "is a GGUF model; pare diff reads safetensors and ONNX models")
            case nil: throw fileError(file, "is not a safetensors or ONNX model (unrecognized content)")
            }
        } catch let e as DiagnosticError {
            throw e
        } catch {
            throw fileError(file, "\(error)")
        }
    }

    /// Compares the effective weights of `a` (reference) and `b`, one tensor at a time.
    /// - Throws: `DiagnosticError` naming the file (and tensor) for missing, unreadable or inconsistent models.
    public static func compare(_ a: String, _ b: String) throws -> Report {
        let sa = try open(a), sb = try open(b)
        return try compare(sa, sb, a: a, b: b)
    }

    /// Compares two opened sources; `a` and `b` are the names the report shows.
    public static func compare(_ sa: any WeightSource, _ sb: any WeightSource, a: String, b: String) throws -> Report {
        var infoB: [String: WeightInfo] = [:]
        for w in sb.weights { infoB[w.name] = w }
        let namesA = Set(sa.weights.map(\.name))
        var rows: [TensorRow] = []
        for wa in sa.weights {
            guard let wb = infoB[wa.name] else { continue }
            let va = try sa.load(wa.name)
            let vb = try sb.load(wb.name)
            let encoding = wb.encoding == "plain" ? wa.encoding : wb.encoding
            var row = TensorRow(name: wa.name, aDType: wa.storedDType, bDType: wb.storedDType, shape: va.shape,
                                bShape: va.shape == vb.shape ? nil : vb.shape, maxAbs: nil, rmse: nil, sqnrDB: nil,
                                aSparsity: sparsity(va.values), bSparsity: sparsity(vb.values), encoding: encoding)
            if va.values.count == vb.values.count {
                let m = metrics(reference: va.values, candidate: vb.values)
                row.maxAbs = m.maxAbs
                row.rmse = m.rmse
                row.sqnrDB = m.sqnrDB.isFinite ? m.sqnrDB : nil
                if m.sqnrDB == -.infinity { row.sqnrDB = nil }
            }
            rows.append(row)
        }
        rows.sort { l, r in
            let kl = sortKey(l), kr = sortKey(r)
            return kl != kr ? kl < kr : l.name < r.name
        }
        let onlyA = sa.weights.map(\.name).filter { infoB[$0] == nil }.sorted()
        let onlyB = sb.weights.map(\.name).filter { !namesA.contains($0) }.sorted()
        return Report(a: a, b: b, tensors: rows, onlyA: onlyA, onlyB: onlyB)
    }

    /// Worst first: not comparable, then −∞ SQNR (A all zero), then finite SQNR ascending, then identical.
    static func sortKey(_ r: TensorRow) -> Double {
        if !r.comparable { return -.greatestFiniteMagnitude }
        if let s = r.sqnrDB { return s }
        return r.identical ? .infinity : -Double.greatestFiniteMagnitude / 2
    }

    /// A `DiagnosticError` located at `file`.
    static func fileError(_ file: String, _ message: String) -> DiagnosticError {
        DiagnosticError(.error(message, at: SourceLocation(file: file)))
    }

    /// A `DiagnosticError` located at `file`, naming `tensor`.
    static func tensorError(_ file: String, _ tensor: String, _ message: String) -> DiagnosticError {
        DiagnosticError(.error("tensor '\(tensor)': \(message)", at: SourceLocation(file: file)))
    }
}
