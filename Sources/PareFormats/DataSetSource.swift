import PareTensor

/// Where a data set's arrays come from: an `.npz` (keys are member names without `.npy`) or a safetensors
/// file (keys are tensor names).
enum DataSetSource: @unchecked Sendable {
    case npz(NPZFile)
    case safetensors(SafetensorsFile)

    /// Every key, sorted.
    var keys: [String] {
        switch self {
        case .npz(let f): return f.keys
        case .safetensors(let f): return f.tensors.map(\.name).sorted()
        }
    }

    /// The element type and shape of `key` (which must exist).
    func spec(_ key: String) -> (DType, Shape) {
        switch self {
        case .npz(let f):
            let h = f.header(key)!
            return (h.dtype, h.shape)
        case .safetensors(let f):
            let t = f[key]!
            return (t.dtype, t.shape)
        }
    }

    /// Reads the array `key`.
    func array(_ key: String) throws -> NPYArray {
        switch self {
        case .npz(let f): return try f.array(key)
        case .safetensors(let f):
            guard let t = f[key] else { throw FormatError(file: f.path, message: "has no tensor '\(key)'") }
            return NPYArray(dtype: t.dtype, shape: t.shape, buffer: NPYBuffer(view: f.bytes(of: t), owner: f))
        }
    }

    /// Calls `body` with the whole file's bytes.
    func withFileBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        switch self {
        case .npz(let f): return try f.archive.withArchiveBytes(body)
        case .safetensors(let f):
            let mapped = try ONNXMappedFile(path: f.path, reportAs: f.path, what: nil)
            return try withExtendedLifetime(mapped) { try body(mapped.bytes) }
        }
    }
}
