extension NPYArray {
    /// Reads the `.npy` file at `path`, memory-mapped: the array's bytes view the mapping (C order) or are
    /// transposed into memory of their own (Fortran order). See `NPYHeader` for the checks.
    /// - Throws: `FormatError` naming the file when it cannot be read or is not a valid `.npy` array.
    public static func load(path: String) throws -> NPYArray {
        let file = try ONNXMappedFile(path: path, reportAs: path, what: nil)
        return try read(file.bytes, owner: file, file: path, member: nil)
    }
}
