import PareBasics

extension DataSet {
    /// SHA-256 of the file's bytes. Changes with anything in the file, including how it was zipped.
    public func fileDigest() throws -> Digest {
        try source.withFileBytes { Digest.of($0) }
    }

    /// SHA-256 over the canonical bytes of the selected samples: the digest that belongs in action keys. It is
    /// the same for the same arrays whether they are stored in an `.npz` (STORED or DEFLATED, any member order,
    /// any zip layout, C or Fortran order, any zero-padding of the sample numbers) or in safetensors, and it
    /// changes when any selected value, dtype, shape or name changes, or the selection does.
    ///
    /// Canonical bytes (all integers UInt64 little-endian; strings as their UTF-8 byte count, then the bytes):
    /// the string `pare-dataset-v1`, the number of selected samples, then for each selected sample in ascending
    /// index order: its index, then for each of its arrays — inputs sorted by name, then the label if any,
    /// under the name `labelKey` — the name, the dtype name (`DType.rawValue`, e.g. `float32`), the rank, each
    /// dimension, the byte count and the data bytes in C order, little-endian.
    /// - Throws: `FormatError` when a member is corrupt; `DataSetSelection.Invalid` for a bad selection.
    public func contentDigest(_ selection: DataSetSelection = .all) throws -> Digest {
        let indices = try selection.indices(count: sampleCount)
        var h = DigestHasher()
        func int(_ v: Int) { withUnsafeBytes(of: UInt64(v).littleEndian) { h.update($0) } }
        func string(_ s: String) { int(s.utf8.count); h.update(Array(s.utf8)) }
        string("pare-dataset-v1")
        int(indices.count)
        for i in indices {
            int(i)
            var arrays = inputs.map { ($0.name, keyTable(i, $0.name)) }
            if label != nil { arrays.append((labelKey, keyTable(i, labelKey))) }
            for (name, key) in arrays {
                let a = try source.array(key)
                string(name)
                string(a.dtype.rawValue)
                int(a.shape.rank)
                for d in a.shape.dims { int(d) }
                int(a.byteCount)
                a.withUnsafeBytes { h.update($0) }
            }
        }
        return h.finalize()
    }

    private func keyTable(_ i: Int, _ input: String) -> String { key(sample: i, input: input)! }
}
