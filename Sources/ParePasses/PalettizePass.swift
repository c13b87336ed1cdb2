import PareBasics
import PareFormats
import PareKernels
import PareRecipe
import PareTensor

/// `palettize`: weight sharing. Each selected weight becomes 2^bits shared float values (a look-up table found
/// by `KMeans1D`, seeded k-means++ then Lloyd) and one bits-wide index per weight, packed LSB first. Tables are
/// per tensor, or per `group_channels` consecutive output channels (the tensor's channel axis, as `quantize`).
public struct PalettizePass: WeightPass {
    public static let name = "palettize"
    public static let version = 1
    public let id: String
    public let config: PalettizeConfig
    /// Where `bits` is in the recipe, for errors.
    public let bitsLocation: SourceLocation?

    public init(id: String, config: PalettizeConfig, bitsLocation: SourceLocation? = nil) {
        self.id = id
        self.config = config
        self.bitsLocation = bitsLocation
    }

    public func parameters(for model: ModelArtifact, context: PassContext) throws -> [String: TensorParameters] {
        var out: [String: TensorParameters] = [:]
        let axes = try context.channelAxes(model)
        for t in model.tensors where t.isSelected(by: config.selection) {
            out[t.name] = .palettize(bits: config.bits, groupChannels: config.groupChannels, iterations: config.iterations,
                                     seed: config.seed, axis: axes[t.name] ?? 0)
        }
        return out
    }

    public func apply(_ record: TensorRecord, parameters: TensorParameters, context: PassContext) throws -> TensorRecord {
        guard case .palettize(let bits, let groupChannels, let iterations, let seed, let axis) = parameters else {
            preconditionFailure("palettize got \(parameters)")
        }
        let (outer, rows, inner) = Layout.split(record.shape.dims, axis: axis)
        let cols = outer * inner
        let perGroup = groupChannels == 0 ? rows : min(rows, groupChannels)
        let k = 1 << bits
        let input = try context.floats(of: record)
        let matrix: [Float] = try input.withBuffer { x in
            if let bad = FiniteCheck.firstNonFinite(x) {
                throw PassError(tensor: record.name, message: "has a non-finite value (NaN or Inf) at element \(bad); fix the source model")
            }
            return axis == 0 ? Array(x) : Layout.moveAxisToFront(x, outer: outer, mid: rows, inner: inner)
        }
        let result: KMeans1D.Result = try matrix.withUnsafeBufferPointer { m in
            let few = KMeans1D.fewestDistinct(m, groupSize: perGroup * cols)
            if few.distinct < k {
                let which = groupChannels == 0 ? "has" : "has, in table \(few.group) (output channels \(few.group * perGroup)..<\(min(rows, (few.group + 1) * perGroup))),"
                throw PassError(tensor: record.name, message: "\(which) only \(few.distinct) distinct value\(few.distinct == 1 ? "" : "s"), fewer than the \(k) table entries of bits: \(bits)"
                                + (bitsLocation.map { " (\($0))" } ?? "")
                                + "; use fewer bits (at most \(few.distinct > 1 ? String(Int.bitWidth - 1 - few.distinct.leadingZeroBitCount) : "0")), "
                                + (groupChannels == 0 ? "" : "a larger group_channels, ") + "or exclude the tensor")
            }
            return KMeans1D.fast(m, groupSize: perGroup * cols, k: k, iterations: iterations, seed: seed, threads: context.threads)
        }
        // Reconstruction in the matrix view, then error against the source in the same view.
        var recon = [Float](repeating: 0, count: matrix.count)
        for i in recon.indices { recon[i] = result.table[(i / (perGroup * cols)) * k + Int(result.indices[i])] }
        let origin = try context.origin(of: record)
        let stats: ErrorStats = origin.withBuffer { o in
            let om = axis == 0 ? Array(o) : Layout.moveAxisToFront(o, outer: outer, mid: rows, inner: inner)
            return om.withUnsafeBufferPointer { a in recon.withUnsafeBufferPointer { ErrorMetrics.compare(original: a, reconstructed: $0, threads: context.threads) } }
        }
        let packed = KMeans1D.pack(result.indices, bits: bits)
        var out = record
        out.dtype = .uint8
        out.digest = try context.store.put(packed)
        out.byteCount = packed.count
        out.palette = PaletteEncoding(bits: bits, rows: rows, cols: cols, axis: axis == 0 ? nil : axis,
                                      groupChannels: perGroup, table: try context.store.put(result.table))
        out.passes.append(id)
        out.error = TensorError(stats)
        return out
    }
}
