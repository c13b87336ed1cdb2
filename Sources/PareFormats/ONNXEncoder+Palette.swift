import PareONNXProto

extension ONNXEncoder.Rewriter {
    /// Writes a palettized weight `W` (opset ≥ 13) as standard ops that ONNX Runtime constant-folds at load:
    /// - bits < 8: `W_index_planes` UINT8 [bits, ⌈n/8⌉, 1], plane j holding bit j of every index, 8 indices per
    ///   byte (index i in bit i mod 8 of byte i / 8) — the same size as the packed indices; unpacked by
    ///   Cast(INT32) → Div [1, 2, …, 128] → Mod 2 → Mul [2^j] → ReduceSum(axis 0) → Reshape [n] (→ Slice [0, n)).
    /// - bits = 8: `W_indices` UINT8 → Cast(INT32).
    /// Then Reshape [rows, cols], Add `W_table_offsets` INT32 [rows, 1] (group · 2^bits, several tables only),
    /// Gather from `W_table` (FLOAT [tables · 2^bits]), and Reshape (+ Transpose when the channel axis is not 0)
    /// back to the weight's shape; the last output is named `W`.
    mutating func writePalette(_ e: inout Emission, _ w: ONNXPalettizedWeight) -> String {
        let P = ONNXEncodeProto.self
        let name = e.weight
        let rows = w.rows, cols = w.cols, n = rows * cols
        func int32s(_ dims: [Int], _ v: [Int32]) -> Onnx_TensorProto {
            var raw = [UInt8]()
            for x in v { P.appendLE(UInt32(bitPattern: x), to: &raw) }
            return P.tensor(type: P.int32, dims: dims, raw: raw)
        }
        var current: String
        if w.bits == 8 {
            let idx = part(&e, P.tensor(type: P.uint8, dims: [n], raw: Array(w.indices.prefix(n))), suffix: "indices")
            current = names.fresh("\(name)_index")
            node(&e, "Cast", [idx], output: current, attributes: [P.intAttr("to", Int(P.int32))])
        } else {
            let bytes = (n + 7) / 8
            var planes = [UInt8](repeating: 0, count: w.bits * bytes)
            for (i, v) in w.unpacked().enumerated() {
                for j in 0..<w.bits where (v >> j) & 1 == 1 { planes[j * bytes + i / 8] |= UInt8(1 << (i % 8)) }
            }
            let p = part(&e, P.tensor(type: P.uint8, dims: [w.bits, bytes, 1], raw: planes), suffix: "index_planes")
            let cast = names.fresh("\(name)_planes_int")
            node(&e, "Cast", [p], output: cast, attributes: [P.intAttr("to", Int(P.int32))])
            let divisors = part(&e, int32s([8], (0..<8).map { Int32(1 << $0) }), suffix: "bit_divisors")
            let shifted = names.fresh("\(name)_shifted")
            node(&e, "Div", [cast, divisors], output: shifted)
            let two = part(&e, int32s([], [2]), suffix: "two")
            let bitValues = names.fresh("\(name)_bits")
            node(&e, "Mod", [shifted, two], output: bitValues)
            let weights = part(&e, int32s([w.bits, 1, 1], (0..<w.bits).map { Int32(1 << $0) }), suffix: "plane_weights")
            let weighted = names.fresh("\(name)_weighted")
            node(&e, "Mul", [bitValues, weights], output: weighted)
            let axes = part(&e, P.int64s(dims: [1], [0]), suffix: "plane_axis")
            let summed = names.fresh("\(name)_index_bytes")
            node(&e, "ReduceSum", [weighted, axes], output: summed, attributes: [P.intAttr("keepdims", 0)])
            let flatShape = part(&e, P.int64s(dims: [1], [Int64(bytes * 8)]), suffix: "flat_shape")
            current = names.fresh("\(name)_index_flat")
            node(&e, "Reshape", [summed, flatShape], output: current)
            if bytes * 8 != n {
                let starts = part(&e, P.int64s(dims: [1], [0]), suffix: "slice_starts")
                let ends = part(&e, P.int64s(dims: [1], [Int64(n)]), suffix: "slice_ends")
                let sliced = names.fresh("\(name)_index")
                node(&e, "Slice", [current, starts, ends], output: sliced)
                current = sliced
            }
        }
        let matrixShape = part(&e, P.int64s(dims: [2], [Int64(rows), Int64(cols)]), suffix: "index_shape")
        let matrix = names.fresh("\(name)_index_matrix")
        node(&e, "Reshape", [current, matrixShape], output: matrix)
        current = matrix
        if w.tables > 1 {
            let offsets = part(&e, int32s([rows, 1], (0..<rows).map { Int32(($0 / w.groupChannels) * w.entries) }), suffix: "table_offsets")
            let shifted = names.fresh("\(name)_table_index")
            node(&e, "Add", [current, offsets], output: shifted)
            current = shifted
        }
        let table = part(&e, P.floats(type: computeType, dims: [w.table.count], w.table), suffix: "table")
        let moved = [rows] + w.shape.enumerated().filter { $0.offset != w.axis }.map(\.element)
        let needsReshape = moved != [rows, cols] || w.shape != moved
        let needsTranspose = w.axis != 0 && w.shape.count > 1
        let gathered = needsReshape || needsTranspose ? names.fresh("\(name)_gathered") : name
        node(&e, "Gather", [table, current], output: gathered, attributes: [P.intAttr("axis", 0)])
        let perm = needsTranspose ? (0..<w.shape.count).map { $0 < w.axis ? $0 + 1 : ($0 == w.axis ? 0 : $0) } : nil
        restoreLayout(&e, gathered, reshape: moved != [rows, cols] && !w.shape.isEmpty ? moved : (w.shape.isEmpty ? [] : nil), transpose: perm)
        return "\(w.bits)-bit palette, \(w.tables) table\(w.tables == 1 ? "" : "s") of \(w.entries)"
            + (w.tables > 1 ? " (\(w.groupChannels) channels each, axis \(w.axis))" : "")
            + " → " + (w.bits == 8 ? "UINT8 indices" : "UINT8 bit planes + Div/Mod/ReduceSum") + " + Gather (opset ≥ 13)"
    }
}
