import PareBasics

/// How a palettized (weight-shared) tensor is stored: one n-bit index per weight into a look-up table of 2^n
/// float values; a table is shared by `groupChannels` consecutive output channels (all of them for one table).
/// The weight is ŵ[i] = table[g(i)][index[i]], g(i) the group of element i's output channel.
public struct PaletteEncoding: Sendable, Hashable, Codable {
    /// Index bits n (1...8).
    public var bits: Int
    /// The matrix view: rows = output channels (the tensor's axis `axis`, default 0), cols = the rest.
    public var rows: Int
    public var cols: Int
    /// The original tensor's axis that became the rows; nil means 0. When it is not 0 the indices are in the
    /// permuted layout (that axis moved to the front, other axes in order).
    public var axis: Int?
    /// Rows per table; `rows` for one table per tensor.
    public var groupChannels: Int
    /// float32 tables, [tables, 2^bits] row-major.
    public var table: Digest

    public init(bits: Int, rows: Int, cols: Int, axis: Int? = nil, groupChannels: Int, table: Digest) {
        self.bits = bits
        self.rows = rows
        self.cols = cols
        self.axis = axis
        self.groupChannels = groupChannels
        self.table = table
    }

    /// Number of tables: ceil(rows / groupChannels).
    public var tables: Int { (rows + groupChannels - 1) / max(1, groupChannels) }
    /// Entries per table.
    public var entries: Int { 1 << bits }
    /// Bytes of the tables.
    public var tableBytes: Int { tables * entries * 4 }
}
