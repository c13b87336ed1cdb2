/// Converts between pare's matrix view of a weight (rows = output channels, row-major, 4-bit codes packed per
/// row) and the layouts ONNX operators expect.
///
/// Conventions: a permutation `p` follows numpy / ONNX `Transpose`: transposing a tensor of shape S by p gives
/// shape [S[p[0]], …, S[p[r−1]]] with `y[i0, …, i(r−1)] = x[j]` where `j[p[k]] = i[k]`.
public enum ONNXLayout {
    /// The matrix view of a tensor of `shape` whose output-channel axis is `axis`: rows = shape[axis], cols =
    /// product of the other dimensions, and the permutation that brings `axis` first (the other axes keep their
    /// order), or nil when `axis` is already first (then the tensor's row-major order *is* the matrix order).
    /// A 0-d tensor is a 1 × 1 matrix.
    public static func matrixView(shape: [Int], axis: Int) -> (rows: Int, cols: Int, permutation: [Int]?) {
        guard !shape.isEmpty else { return (1, 1, nil) }
        precondition((0..<shape.count).contains(axis), "axis \(axis) out of range for shape \(shape)")
        let rows = shape[axis]
        var cols = 1
        for (i, d) in shape.enumerated() where i != axis { cols *= d }
        guard axis != 0 else { return (rows, cols, nil) }
        return (rows, cols, [axis] + (0..<shape.count).filter { $0 != axis })
    }

    /// The shape after transposing a tensor of `shape` by `permutation`.
    public static func permutedShape(_ shape: [Int], _ permutation: [Int]) -> [Int] { permutation.map { shape[$0] } }

    /// The permutation that undoes `permutation`.
    public static func inverse(_ permutation: [Int]) -> [Int] {
        var inv = [Int](repeating: 0, count: permutation.count)
        for (i, p) in permutation.enumerated() { inv[p] = i }
        return inv
    }

    /// `x` (row-major, of `shape`) transposed by `permutation` (numpy `x.transpose(permutation)`), for any
    /// element type: floats before quantizing, unpacked byte codes, scales.
    public static func transpose<T>(_ x: [T], shape: [Int], permutation: [Int]) -> [T] {
        let r = shape.count
        precondition(permutation.count == r && Set(permutation) == Set(0..<r), "bad permutation \(permutation) for rank \(r)")
        precondition(x.count == shape.reduce(1, *), "transpose: \(x.count) elements for shape \(shape)")
        if r <= 1 || permutation == Array(0..<r) || x.isEmpty { return x }
        var inStrides = [Int](repeating: 1, count: r)
        for i in stride(from: r - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * shape[i + 1] }
        let outShape = permutation.map { shape[$0] }
        let srcStride = permutation.map { inStrides[$0] }
        var out = [T]()
        out.reserveCapacity(x.count)
        var idx = [Int](repeating: 0, count: r)
        var src = 0
        let lastCount = outShape[r - 1], lastStride = srcStride[r - 1]
        x.withUnsafeBufferPointer { xs in
            while true {
                var s = src
                for _ in 0..<lastCount {
                    out.append(xs[s])
                    s += lastStride
                }
                var d = r - 2
                while d >= 0 {
                    idx[d] += 1
                    src += srcStride[d]
                    if idx[d] < outShape[d] { break }
                    src -= srcStride[d] * outShape[d]
                    idx[d] = 0
                    d -= 1
                }
                if d < 0 { break }
            }
        }
        return out
    }

    /// The inverse of ``transpose(_:shape:permutation:)``: `y` has the permuted shape and the result the
    /// original `shape`.
    public static func inverseTranspose<T>(_ y: [T], shape: [Int], permutation: [Int]) -> [T] {
        transpose(y, shape: permutedShape(shape, permutation), permutation: inverse(permutation))
    }

    // MARK: 4-bit codes

    /// Unpacks pare's per-row 4-bit packing (rows × ((cols+1)/2) bytes, even element in the low nibble) into
    /// one nibble value (0…15, int4 still two's complement) per element, row-major.
    public static func unpackNibbleRows(_ data: [UInt8], rows: Int, cols: Int) -> [UInt8] {
        let rowBytes = (cols + 1) / 2
        precondition(data.count == rows * rowBytes, "unpackNibbleRows: \(data.count) bytes for \(rows) × \(cols)")
        var out = [UInt8](repeating: 0, count: rows * cols)
        for r in 0..<rows {
            for c in 0..<cols {
                let b = data[r * rowBytes + c / 2]
                out[r * cols + c] = c % 2 == 0 ? b & 0x0F : b >> 4
            }
        }
        return out
    }

    /// Packs nibble values (low 4 bits of each byte) two per byte over the flat element order, first element in
    /// the low nibble, a final odd element's high nibble 0: ONNX's INT4/UINT4 `raw_data` layout.
    public static func packNibbles(_ codes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: (codes.count + 1) / 2)
        for (i, c) in codes.enumerated() {
            if i % 2 == 0 { out[i / 2] = c & 0x0F } else { out[i / 2] |= (c & 0x0F) << 4 }
        }
        return out
    }

    /// Sign-extends int4 nibbles (two's complement) to int8 bit patterns; uint4 nibbles are returned as is.
    static func widenNibbles(_ nibbles: [UInt8], signed: Bool) -> [UInt8] {
        signed ? nibbles.map { $0 & 0x08 != 0 ? $0 | 0xF0 : $0 & 0x0F } : nibbles
    }

    /// The codes of `w` as one byte per element in matrix order: 8-bit data as is, 4-bit data unpacked to
    /// nibble values.
    static func matrixCodes(_ w: ONNXQuantizedWeight, rows: Int, cols: Int) -> [UInt8] {
        w.bits == 8 ? w.data : unpackNibbleRows(w.data, rows: rows, cols: cols)
    }
}
