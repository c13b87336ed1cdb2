extension Quantizer {
    /// x̂ = (q − zp) · scale, into a new array of rows*cols floats.
    ///
    /// Computed per element as `(Float(q) − zp) * scale` with scale and zp of the element's block: for an integer
    /// zero point the difference is exact (the same value as `Float(q − zp)`), so the product is the one rounding. The matrix must have the layout `scheme` describes.
    public static func dequantize(_ q: QuantizedMatrix, scheme: QuantScheme) -> [Float] {
        checkLayout(q, scheme: scheme, function: "Quantizer.dequantize")
        let count = q.rows * q.cols
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 { dequantizeRange(q, scheme: scheme, start: 0, count: count, into: buffer.baseAddress!) }
            initialized = count
        }
    }

    /// Checks that `q`'s arrays have the sizes `scheme` implies (a programming error otherwise).
    static func checkLayout(_ q: QuantizedMatrix, scheme: QuantScheme, function: StaticString) {
        scheme.checkShape(count: q.rows * q.cols, rows: q.rows, cols: q.cols, function: function)
        let blocks = scheme.blockCount(rows: q.rows, cols: q.cols)
        precondition(q.data.count == q.rows * QuantizedMatrix.rowBytes(cols: q.cols, type: scheme.type)
                     && q.scales.count == blocks && q.zeroPoints.count == blocks,
                     "\(function): a \(q.rows) × \(q.cols) \(scheme.type.rawValue) matrix needs \(blocks) scales and zero points, got \(q.data.count) bytes, \(q.scales.count) scales, \(q.zeroPoints.count) zero points")
    }

    /// Dequantizes the flat (row-major) elements `start ..< start + count` into `out`.
    /// The caller has checked the layout with ``checkLayout(_:scheme:function:)``.
    static func dequantizeRange(_ q: QuantizedMatrix, scheme: QuantScheme, start: Int, count: Int,
                                into out: UnsafeMutablePointer<Float>) {
        let cols = q.cols
        let length = scheme.blockLength(rows: q.rows, cols: cols)
        let type = scheme.type
        let rowBytes = QuantizedMatrix.rowBytes(cols: cols, type: type)
        q.data.withUnsafeBufferPointer { dataBuffer in
            let data = dataBuffer.baseAddress!
            var i = start
            let end = start + count
            while i < end {
                let (r, c) = i.quotientAndRemainder(dividingBy: cols)
                let b = i / length
                let n = Swift.min(end, (r + 1) * cols, (b + 1) * length) - i
                let scale = q.scales[b], zp = q.zeroPoints[b]
                let row = data + r * rowBytes
                let dst = out + (i - start)
                switch (type.bits, type.isSigned) {
                case (8, true):
                    for k in 0..<n { dst[k] = (Float(Int8(bitPattern: row[c + k])) - zp) * scale }
                case (8, false):
                    for k in 0..<n { dst[k] = (Float(row[c + k]) - zp) * scale }
                default:
                    for k in 0..<n {
                        let e = c + k
                        let byte = row[e / 2]
                        let nibble = e % 2 == 0 ? byte & 0x0F : byte >> 4
                        let code = type.isSigned ? Int32(Int8(bitPattern: nibble << 4) >> 4) : Int32(nibble)
                        dst[k] = (Float(code) - zp) * scale
                    }
                }
                i += n
            }
        }
    }
}
