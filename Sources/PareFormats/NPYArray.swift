import PareTensor

/// An n-dimensional array read from a `.npy` file, an `.npz` member or a safetensors tensor: element type,
/// shape, and the elements in C (row-major) order, little-endian, as stored.
///
/// The bytes are a view into the source's memory mapping when that was possible (a `.npy` file, a STORED
/// `.npz` member in C order, a safetensors tensor) and a buffer of their own otherwise (a DEFLATED member, a
/// Fortran-order array, which is transposed to C order when read). Either way they stay valid while the array
/// (or its `buffer`) lives. Element data may be unaligned: read it with the typed accessors
/// (`elements(as:)`, `floats()`), which copy.
public struct NPYArray: Sendable {
    public let dtype: DType
    public let shape: Shape
    /// The elements' bytes (`byteCount` long).
    public let buffer: NPYBuffer

    /// An array over `buffer`, which must hold exactly `dtype.byteCount(elements: shape.elementCount)` bytes.
    public init(dtype: DType, shape: Shape, buffer: NPYBuffer) {
        precondition(shape.elementCount.flatMap { dtype.byteCount(elements: $0) } == buffer.count,
                     "NPYArray: \(buffer.count) bytes do not hold \(shape) of \(dtype)")
        self.dtype = dtype
        self.shape = shape
        self.buffer = buffer
    }

    /// An array holding a copy of `bytes`.
    public init(dtype: DType, shape: Shape, copying bytes: [UInt8]) {
        self.init(dtype: dtype, shape: shape, buffer: bytes.withUnsafeBytes { NPYBuffer(copying: $0) })
    }

    /// Number of elements (1 for a 0-d array).
    public var elementCount: Int { shape.elementCount ?? 0 }

    /// Number of data bytes.
    public var byteCount: Int { buffer.count }

    /// A copy of the data bytes.
    public var bytes: [UInt8] { buffer.withBytes { Array($0) } }

    /// Calls `body` with the data bytes, keeping them alive for the call.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try buffer.withBytes(nil, body)
    }

    /// Reads a whole `.npy` (`bytes`, kept alive by `owner` when the array may view it, copied when `owner` is
    /// nil): validates the header (see `NPYHeader`) and transposes Fortran-order data to C order.
    /// - Throws: `FormatError` naming `file` and `member`.
    static func read(_ bytes: UnsafeRawBufferPointer, owner: AnyObject?, file: String, member: String?) throws -> NPYArray {
        let h = try NPYHeader.parse(bytes, totalSize: bytes.count, file: file, member: member)
        let data = UnsafeRawBufferPointer(rebasing: bytes[h.dataOffset..<h.dataOffset + h.byteCount])
        let buffer: NPYBuffer
        if h.fortranOrder && h.shape.rank > 1 {
            buffer = NPYBuffer(count: data.count) { out in
                NPYArray.transposeFortranToC(data, into: out, shape: h.shape.dims, elementSize: h.dtype.bits / 8)
            }
        } else if let owner {
            buffer = NPYBuffer(view: data, owner: owner)
        } else {
            buffer = NPYBuffer(copying: data)
        }
        return NPYArray(dtype: h.dtype, shape: h.shape, buffer: buffer)
    }

    /// Copies `src`, the elements of an array of `shape` in Fortran (column-major) order, to `out` in C
    /// (row-major) order: C position p (last index fastest) takes Fortran position Σ iₖ·Πⱼ<ₖ dⱼ.
    static func transposeFortranToC(_ src: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer,
                                    shape: [Int], elementSize: Int) {
        let rank = shape.count
        let count = out.count / max(elementSize, 1)
        guard count > 0 else { return }
        var fStride = [Int](repeating: 1, count: rank)
        if rank > 1 { for k in 1..<rank { fStride[k] = fStride[k - 1] * shape[k - 1] } }
        var index = [Int](repeating: 0, count: rank)
        var f = 0
        for p in 0..<count {
            (out.baseAddress! + p * elementSize).copyMemory(from: src.baseAddress! + f * elementSize, byteCount: elementSize)
            // Odometer step over the C index, last dimension fastest, keeping the Fortran offset in step.
            var k = rank - 1
            while k >= 0 {
                index[k] += 1
                f += fStride[k]
                if index[k] < shape[k] { break }
                f -= fStride[k] * index[k]
                index[k] = 0
                k -= 1
            }
        }
    }
}
