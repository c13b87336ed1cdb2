import Foundation
import PareBasics
import PareFormats
import PareKernels
import PareTensor

extension ModelDiff {
    /// Effective weights of a safetensors file: float tensors as they are (converted to float32), and pare bundle
    /// weights (`pare.quantization` metadata) dequantized as docs/bundle-format.md defines:
    /// `x̂[r, c] = Float(q[r, c] − zp[r, g]) · scale[r, g]`, one float32 multiplication (round to nearest even).
    /// Tensors named as a scale or zero point by the metadata, and non-float tensors that are not quantized
    /// weights, are not listed.
    public final class SafetensorsWeights: WeightSource {
        public let path: String
        public let weights: [WeightInfo]
        let file: SafetensorsFile
        let schemes: [String: Scheme]

        /// One `pare.quantization` entry.
        struct Scheme {
            var dtype: WeightType
            var granularity: String
            var group: Int
            var symmetric: Bool
            var shape: [Int]
            var rows: Int
            var cols: Int
            var scale: String
            var zeroPoint: String?
            /// Zero points stored as F32 (`fit: mse`, asymmetric).
            var fractionalZeroPoints = false
        }

        /// Opens and maps the file; parses and checks the quantization metadata.
        /// - Throws: `DiagnosticError` naming the file (and tensor).
        public init(path: String) throws {
            self.path = path
            do { file = try SafetensorsFile(path: path) } catch { throw ModelDiff.fileError(path, "\(error)") }
            var schemes: [String: Scheme] = [:]
            if let text = file.metadata["pare.quantization"] {
                guard let obj = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
                    throw ModelDiff.fileError(path, "metadata 'pare.quantization' is not a JSON object; the bundle is corrupt — rebuild it")
                }
                for (name, value) in obj {
                    schemes[name] = try Self.scheme(name: name, value, path: path)
                }
            }
            self.schemes = schemes
            let helpers = Set(schemes.values.flatMap { [$0.scale] + ($0.zeroPoint.map { [$0] } ?? []) })
            var list: [WeightInfo] = []
            for t in file.tensors where !helpers.contains(t.name) {
                if let s = schemes[t.name] {
                    let g = s.granularity == "per-group" ? " \(s.group)" : ""
                    list.append(WeightInfo(name: t.name, storedDType: s.dtype.rawValue,
                                           encoding: "pare \(s.dtype.rawValue) \(s.granularity)\(g) \(s.symmetric ? "sym" : "asym")"))
                } else if t.dtype.isFloatingPoint {
                    list.append(WeightInfo(name: t.name, storedDType: t.dtype.rawValue, encoding: "plain"))
                }
            }
            for name in schemes.keys.sorted() where file[name] == nil {
                throw ModelDiff.tensorError(path, name, "is described by 'pare.quantization' but the file has no such tensor; the bundle is corrupt — rebuild it")
            }
            weights = list
        }

        static func scheme(name: String, _ value: Any, path: String) throws -> Scheme {
            func bad(_ what: String) -> DiagnosticError {
                ModelDiff.tensorError(path, name, "its 'pare.quantization' entry \(what) (see docs/bundle-format.md); the bundle is corrupt — rebuild it")
            }
            guard let d = value as? [String: Any] else { throw bad("is not an object") }
            func int(_ key: String) throws -> Int {
                guard let n = d[key] as? NSNumber, let v = Int(exactly: n.doubleValue), v >= 0 else { throw bad("has no valid '\(key)'") }
                return v
            }
            guard let t = (d["dtype"] as? String).flatMap(WeightType.init(rawValue:)) else { throw bad("has no valid 'dtype' (int8, uint8, int4, uint4)") }
            guard let g = d["granularity"] as? String, ["per-tensor", "per-channel", "per-group"].contains(g) else {
                throw bad("has no valid 'granularity'")
            }
            guard let shape = d["shape"] as? [NSNumber], let scale = d["scale"] as? String else { throw bad("lacks 'shape' or 'scale'") }
            let symmetric = (d["symmetric"] as? Bool) ?? true
            let s = Scheme(dtype: t, granularity: g, group: try int("group"), symmetric: symmetric,
                           shape: shape.map(\.intValue), rows: try int("rows"), cols: try int("cols"), scale: scale,
                           zeroPoint: d["zero_point"] as? String, fractionalZeroPoints: (d["fit"] as? String) == "mse" && !symmetric)
            guard s.shape.allSatisfy({ $0 >= 0 }), s.shape.reduce(1, { $0.multipliedReportingOverflow(by: $1).overflow ? -1 : $0 * $1 }) == s.rows * s.cols else {
                throw bad("has a shape \(s.shape) that is not rows × cols = \(s.rows) × \(s.cols)")
            }
            if g == "per-group", s.group <= 0 { throw bad("has group \(s.group) for per-group") }
            return s
        }

        public func load(_ name: String) throws -> Values {
            guard let t = file[name] else { throw ModelDiff.tensorError(path, name, "no such tensor") }
            if let s = schemes[name] { return try dequantize(t, s) }
            return Values(shape: t.shape.dims, values: try file.withBytes(of: t) { try ModelDiff.floats($0, dtype: t.dtype, file: path, tensor: name) })
        }

        /// Dequantizes a pare bundle weight, checking every helper tensor against the metadata.
        func dequantize(_ t: SafetensorsTensor, _ s: Scheme) throws -> Values {
            let name = t.name
            let rows = s.rows, cols = s.cols
            let blocksPerRow = s.granularity == "per-group" ? (cols + s.group - 1) / s.group : 1
            let blocks = s.granularity == "per-tensor" ? 1 : s.granularity == "per-channel" ? rows : rows * blocksPerRow
            let rowBytes = s.dtype.bits == 8 ? cols : (cols + 1) / 2
            let wantDType: DType = s.dtype == .int8 ? .int8 : .uint8
            guard t.dtype == wantDType, t.byteCount == rows * rowBytes else {
                throw ModelDiff.tensorError(path, name, "is \(t.dtype) with \(t.byteCount) bytes; \(s.dtype.rawValue) \(rows) × \(cols) needs \(wantDType) with \(rows * rowBytes) bytes — the bundle is corrupt, rebuild it")
            }
            guard let st = file[s.scale], st.dtype == .float32, st.shape.elementCount == blocks else {
                throw ModelDiff.tensorError(path, s.scale, "must be an F32 tensor of \(blocks) scales for '\(name)'; the bundle is corrupt — rebuild it")
            }
            let scales = try file.withBytes(of: st) { try ModelDiff.floats($0, dtype: .float32, file: path, tensor: s.scale) }
            var zps = [Float](repeating: 0, count: blocks)
            if let zn = s.zeroPoint {
                let zt: DType = s.fractionalZeroPoints ? .float32 : s.dtype.isSigned ? .int8 : .uint8
                guard let z = file[zn], z.dtype == zt, z.shape.elementCount == blocks else {
                    throw ModelDiff.tensorError(path, zn, "must be a \(zt) tensor of \(blocks) zero points for '\(name)'; the bundle is corrupt — rebuild it")
                }
                if zt == .float32 {
                    zps = try file.withBytes(of: z) { try ModelDiff.floats($0, dtype: .float32, file: path, tensor: zn) }
                } else {
                    file.withBytes(of: z) { raw in
                        for i in 0..<blocks { zps[i] = zt == .int8 ? Float(Int8(bitPattern: raw[i])) : Float(raw[i]) }
                    }
                }
            }
            var out = [Float](repeating: 0, count: rows * cols)
            file.withBytes(of: t) { raw in
                for r in 0..<rows {
                    let base = r * rowBytes
                    for c in 0..<cols {
                        let b = s.granularity == "per-tensor" ? 0 : s.granularity == "per-channel" ? r : r * blocksPerRow + c / s.group
                        let q: Int32
                        switch (s.dtype.bits, s.dtype.isSigned) {
                        case (8, true): q = Int32(Int8(bitPattern: raw[base + c]))
                        case (8, false): q = Int32(raw[base + c])
                        default:
                            let byte = raw[base + c / 2]
                            let nibble = c % 2 == 0 ? byte & 0x0F : byte >> 4
                            q = s.dtype.isSigned ? Int32(Int8(bitPattern: nibble << 4) >> 4) : Int32(nibble)
                        }
                        out[r * cols + c] = (Float(q) - zps[b]) * scales[b]
                    }
                }
            }
            return Values(shape: s.shape, values: out)
        }
    }

    /// Converts a little-endian payload of a float `dtype` to float32: F32 as is, F16 / BF16 exactly, F64 rounded
    /// to nearest even.
    /// - Throws: `DiagnosticError` for non-float dtypes or a byte count that does not match.
    static func floats(_ raw: UnsafeRawBufferPointer, dtype: DType, file: String, tensor: String) throws -> [Float] {
        let width = dtype.bits / 8
        guard dtype.isFloatingPoint, raw.count % width == 0 else {
            throw tensorError(file, tensor, "is \(dtype); expected a float tensor")
        }
        let n = raw.count / width
        switch dtype {
        case .float32:
            return (0..<n).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        case .float64:
            return (0..<n).map { Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)))) }
        default:
            let halves = (0..<n).map { UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) }
            return halves.withUnsafeBufferPointer { dtype == .float16 ? HalfPrecision.fromFloat16($0) : HalfPrecision.fromBFloat16($0) }
        }
    }
}
