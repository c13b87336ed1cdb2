extension Quantizer {
    /// Scalar reference quantizer: per block, one pass for the statistics and one for the codes
    /// (``QuantFit/mse`` schemes: ``fitReference(_:rows:cols:scheme:)``).
    ///
    /// Per element: `q = clamp(rne(x · inv), qlo − zp, qhi − zp) + zp` with `inv = 1 / scale` (Float), rne by
    /// `rounded(.toNearestOrEven)` and a NaN product replaced by 0 — the same value as
    /// `clamp(rne(x · inv) + zp, qlo, qhi)` in ``QuantScheme``'s rules, clamped in Float so no conversion traps.
    /// The caller guarantees `x.count == rows * cols` and, for per-group, `cols % G == 0`.
    public static func reference(_ x: UnsafeBufferPointer<Float>, rows: Int, cols: Int,
                                 scheme: QuantScheme) -> QuantizedMatrix {
        if scheme.fit == .mse { return fitReference(x, rows: rows, cols: cols, scheme: scheme) }
        scheme.checkShape(count: x.count, rows: rows, cols: cols, function: "Quantizer.reference")
        let length = scheme.blockLength(rows: rows, cols: cols)
        let blockCount = scheme.blockCount(rows: rows, cols: cols)
        var codes = [Int32](repeating: 0, count: x.count)
        var scales = [Float](), zeroPoints = [Float]()
        scales.reserveCapacity(blockCount)
        zeroPoints.reserveCapacity(blockCount)
        for b in 0..<blockCount {
            let elements = (b * length)..<((b + 1) * length)
            let block = minMaxBlockReference(x, elements, scheme)
            scales.append(block.scale)
            zeroPoints.append(Float(block.zeroPoint))
            codeBlockReference(x, elements, block, into: &codes)
        }
        return QuantizedMatrix(rows: rows, cols: cols, data: packReference(codes, rows: rows, cols: cols, type: scheme.type),
                               scales: scales, zeroPoints: zeroPoints)
    }

    /// The ``QuantFit/minmax`` parameters of the block `elements` of `x`, from statistics that ignore NaN.
    static func minMaxBlockReference(_ x: UnsafeBufferPointer<Float>, _ elements: Range<Int>,
                                     _ scheme: QuantScheme) -> QuantBlock {
        var maxAbs: Float = 0, lo: Float = 0, hi: Float = 0
        for i in elements where !x[i].isNaN {
            let v = x[i]
            if abs(v) > maxAbs { maxAbs = abs(v) }
            if v < lo { lo = v }
            if v > hi { hi = v }
        }
        return QuantBlock(scheme, maxAbs: maxAbs, lo: lo, hi: hi)
    }

    /// Codes of the block `elements` with an integer zero point: `clamp(rne(x · inv), qlo − zp, qhi − zp) + zp`.
    static func codeBlockReference(_ x: UnsafeBufferPointer<Float>, _ elements: Range<Int>, _ block: QuantBlock,
                                   into codes: inout [Int32]) {
        let low = Float(block.qlo - block.zeroPoint), high = Float(block.qhi - block.zeroPoint)
        for i in elements {
            let v = x[i] * block.inv
            var t: Float = v.isNaN ? 0 : v.rounded(.toNearestOrEven)
            t = Swift.min(Swift.max(t, low), high)
            codes[i] = Int32(t) + block.zeroPoint
        }
    }

    /// Stores codes as bytes (8-bit types) or packed nibbles (4-bit types) in ``QuantizedMatrix/data``'s layout.
    static func packReference(_ codes: [Int32], rows: Int, cols: Int, type: WeightType) -> [UInt8] {
        let rowBytes = QuantizedMatrix.rowBytes(cols: cols, type: type)
        var data = [UInt8](repeating: 0, count: rows * rowBytes)
        for r in 0..<rows {
            for c in 0..<cols {
                let byte = UInt8(truncatingIfNeeded: codes[r * cols + c])
                if type.bits == 8 {
                    data[r * rowBytes + c] = byte
                } else {
                    let nibble = byte & 0x0F
                    data[r * rowBytes + c / 2] |= c % 2 == 0 ? nibble : nibble << 4
                }
            }
        }
        return data
    }
}
