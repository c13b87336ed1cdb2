/// A palettized (weight-shared) weight in pare's matrix view, ready to be written into an ONNX graph.
///
/// The matrix view is that of ``ONNXQuantizedWeight``: `axis` moved to the front, rows = `shape[axis]`,
/// cols = the product of the other dimensions. Element (r, c) is `table[(r / groupChannels) · 2^bits + index]`
/// with `index` the (r · cols + c)-th `bits`-wide field of `indices` (packed LSB first: field i occupies bits
/// [i·bits, (i+1)·bits) of the byte stream, stream bit b being bit b mod 8 of byte b / 8).
public struct ONNXPalettizedWeight: Sendable, Hashable {
    /// Index bits, 1...8.
    public var bits: Int
    /// The axis of `shape` that became the rows (the output-channel axis).
    public var axis: Int
    /// The weight's shape in the ONNX model (original layout).
    public var shape: [Int]
    /// Rows per table.
    public var groupChannels: Int
    /// ⌈rows·cols·bits / 8⌉ bytes.
    public var indices: [UInt8]
    /// [tables, 2^bits] row-major, tables = ⌈rows / groupChannels⌉.
    public var table: [Float]

    public init(bits: Int, axis: Int, shape: [Int], groupChannels: Int, indices: [UInt8], table: [Float]) {
        self.bits = bits
        self.axis = axis
        self.shape = shape
        self.groupChannels = groupChannels
        self.indices = indices
        self.table = table
    }

    public var rows: Int { shape.isEmpty ? 1 : shape[axis] }
    public var cols: Int { shape.reduce(1, *) / max(1, rows) }
    public var entries: Int { 1 << bits }
    public var tables: Int { (rows + groupChannels - 1) / max(1, groupChannels) }

    /// Checks the parts against each other.
    func validate(name: String, file: String) throws {
        let count = rows * cols
        guard (1...8).contains(bits), groupChannels >= 1, axis >= 0, axis < max(1, shape.count) else {
            throw FormatError(file: file, tensor: name, message: "has an invalid palette (bits \(bits), group_channels \(groupChannels), axis \(axis))")
        }
        guard indices.count == (count * bits + 7) / 8 else {
            throw FormatError(file: file, tensor: name, message: "has \(indices.count) index bytes; \(count) \(bits)-bit indices need \((count * bits + 7) / 8)")
        }
        guard table.count == tables * entries else {
            throw FormatError(file: file, tensor: name, message: "has \(table.count) table values; \(tables) tables of \(entries) need \(tables * entries)")
        }
    }

    /// The indices unpacked, one per element of the matrix view.
    func unpacked() -> [Int] {
        let count = rows * cols
        if bits == 8 { return indices.prefix(count).map(Int.init) }
        let mask = (1 << bits) - 1
        return (0..<count).map { i in
            let bit = i * bits, byte = bit >> 3
            var word = Int(indices[byte])
            if byte + 1 < indices.count { word |= Int(indices[byte + 1]) << 8 }
            return (word >> (bit & 7)) & mask
        }
    }
}
