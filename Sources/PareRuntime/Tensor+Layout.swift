import PareTensor

/// Re-arranging a tensor's elements without computing on them.
extension Tensor {
    /// The same values under another shape with the same element count.
    func reshaped(_ newShape: [Int]) -> Tensor {
        var t = self
        t.shape = newShape
        return t
    }

    /// A tensor of `shape` whose element `o` is this tensor's element `offsets[o]`.
    func gathered(_ offsets: [Int], shape: [Int]) -> Tensor {
        switch storage {
        case .float(let v):
            return Tensor(dtype: dtype, shape: shape, storage: .float(offsets.map { v[$0] }))
        case .int(let v):
            return Tensor(ints: offsets.map { v[$0] }, shape: shape, dtype: dtype)
        }
    }

    /// Tensors of one dtype concatenated along `axis` (their other dimensions must match; checked by the caller).
    static func concatenated(_ parts: [Tensor], axis: Int, shape: [Int]) -> Tensor {
        let outer = shape[..<axis].reduce(1, *)
        let inners = parts.map { $0.shape[axis...].reduce(1, *) }
        let first = parts[0]
        switch first.storage {
        case .float:
            var out: [Float] = []
            out.reserveCapacity(shape.reduce(1, *))
            let vs = parts.map { $0.floats! }
            for o in 0..<outer {
                for (k, v) in vs.enumerated() { out.append(contentsOf: v[(o * inners[k])..<((o + 1) * inners[k])]) }
            }
            var t = first
            t.shape = shape
            t.storage = .float(out)
            return t
        case .int:
            var out: [Int64] = []
            out.reserveCapacity(shape.reduce(1, *))
            let vs = parts.map { $0.ints! }
            for o in 0..<outer {
                for (k, v) in vs.enumerated() { out.append(contentsOf: v[(o * inners[k])..<((o + 1) * inners[k])]) }
            }
            return Tensor(ints: out, shape: shape, dtype: first.dtype)
        }
    }

    /// Offsets of `shape`'s elements read in the order of the transposed tensor (`out[d] = shape[perm[d]]`).
    static func transposeOffsets(_ shape: [Int], perm: [Int]) -> [Int] {
        let st = Broadcast.strides(shape)
        return Broadcast.stridedOffsets(shape: perm.map { shape[$0] }, strides: perm.map { st[$0] })
    }

    /// `v` wrapped to the range of the integer type `dtype` (two's complement truncation, as a C cast does;
    /// bool: v ≠ 0).
    static func wrap(_ v: Int64, to dtype: DType) -> Int64 {
        switch dtype {
        case .bool: return v != 0 ? 1 : 0
        case .int8: return Int64(Int8(truncatingIfNeeded: v))
        case .uint8: return Int64(UInt8(truncatingIfNeeded: v))
        case .int16: return Int64(Int16(truncatingIfNeeded: v))
        case .uint16: return Int64(UInt16(truncatingIfNeeded: v))
        case .int32: return Int64(Int32(truncatingIfNeeded: v))
        case .uint32: return Int64(UInt32(truncatingIfNeeded: v))
        case .int4: return (v << 60) >> 60
        case .uint4: return v & 0xF
        default: return v
        }
    }
}
