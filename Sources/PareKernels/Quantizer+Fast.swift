extension Quantizer {
    /// 1.5 · 2^23: adding it to a Float v with |v| < 2^22 rounds v to an integer (half to even, the FPU's
    /// rounding mode) and leaves that integer in the low mantissa bits.
    static let magic: Float = 12_582_912
    static let magicBits = Int32(bitPattern: 0x4B40_0000)

    /// Fast quantizer: same output as ``reference(_:rows:cols:scheme:)`` bit for bit, for any `threads`.
    ///
    /// Statistics are integer min / max reductions over the Float bit patterns (exact; a second pass that ignores
    /// NaN runs only for a block containing one). Codes: `v = x · inv`, clamped to [qlo − zp, qhi − zp] (so
    /// |v| ≤ 255 < 2^22), rounded half to even by the magic-number trick `bits(v + 1.5·2^23) − bits(1.5·2^23)`,
    /// then offset by zp — no libm call and no trapping conversion, so the loops vectorize. Blocks with a
    /// non-finite element or a non-finite `inv` take a slower loop that also maps NaN products to 0. Rows are
    /// distributed over `threads` threads; per-tensor statistics are reduced per piece and combined with
    /// min / max, which is exact and order-independent.
    public static func fast(_ x: UnsafeBufferPointer<Float>, rows: Int, cols: Int, scheme: QuantScheme,
                            threads: Int) -> QuantizedMatrix {
        scheme.checkShape(count: x.count, rows: rows, cols: cols, function: "Quantizer.fast")
        precondition(scheme.fit == .minmax || scheme.granularity != .perTensor,
                     "Quantizer.fast: fit mse needs a per-channel or per-group scheme")
        guard let src = x.baseAddress, !x.isEmpty else {
            return reference(x, rows: rows, cols: cols, scheme: scheme)
        }
        let byteCount = rows * QuantizedMatrix.rowBytes(cols: cols, type: scheme.type)
        let blockCount = scheme.blockCount(rows: rows, cols: cols)
        let tensorBlock = scheme.granularity == .perTensor
            ? wholeTensorBlock(src, count: x.count, scheme: scheme, threads: threads) : nil
        var scales = [Float](repeating: tensorBlock?.scale ?? 0, count: blockCount)
        var zeroPoints = [Float](repeating: Float(tensorBlock?.zeroPoint ?? 0), count: blockCount)
        // Every byte is written below (4-bit rows including their padding nibble), so no zero fill is needed.
        let data = [UInt8](unsafeUninitializedCapacity: byteCount) { dataBuffer, initialized in
            scales.withUnsafeMutableBufferPointer { scaleBuffer in
                zeroPoints.withUnsafeMutableBufferPointer { zpBuffer in
                    nonisolated(unsafe) let out = (data: dataBuffer.baseAddress!, scales: scaleBuffer.baseAddress!,
                                                   zeroPoints: zpBuffer.baseAddress!)
                    let rowsPerPiece = Swift.max(1, 16_384 / Swift.max(cols, 1))
                    Parallel.forEachRange(count: rows, threads: threads, minimumChunk: rowsPerPiece) { _, range in
                        quantizeRows(src, range, cols: cols, scheme: scheme, tensorBlock: tensorBlock, into: out)
                    }
                }
            }
            initialized = byteCount
        }
        return QuantizedMatrix(rows: rows, cols: cols, data: data, scales: scales, zeroPoints: zeroPoints)
    }

    /// Quantizes rows `range` of the matrix at `src`, writing their bytes and (unless per-tensor) their blocks'
    /// scales and zero points.
    static func quantizeRows(_ src: UnsafePointer<Float>, _ range: Range<Int>, cols: Int, scheme: QuantScheme,
                             tensorBlock: QuantBlock?,
                             into out: (data: UnsafeMutablePointer<UInt8>, scales: UnsafeMutablePointer<Float>,
                                        zeroPoints: UnsafeMutablePointer<Float>)) {
        let rowBytes = QuantizedMatrix.rowBytes(cols: cols, type: scheme.type)
        // 4-bit rows are quantized one byte per element into scratch, then packed.
        let scratch = scheme.type.bits == 8 ? nil : UnsafeMutablePointer<UInt8>.allocate(capacity: cols)
        defer { scratch?.deallocate() }
        /// Quantizes the block of `n` elements at `p` into `dst`, storing its parameters at index `b`.
        func block(_ p: UnsafePointer<Float>, _ n: Int, _ b: Int, _ dst: UnsafeMutablePointer<UInt8>) {
            if scheme.fit == .mse, let (scale, zp) = fitBlockFast(p, n, scheme) {
                out.scales[b] = scale
                out.zeroPoints[b] = zp
                if scheme.symmetric {
                    quantizeSpan(p, n, QuantBlock(symmetricScale: scale, type: scheme.type), dst)
                } else {
                    quantizeAffine(p, n, inv: 1 / scale, zp: zp, type: scheme.type, dst)
                }
                return
            }
            let params = blockParameters(p, n, scheme)
            out.scales[b] = params.scale
            out.zeroPoints[b] = Float(params.zeroPoint)
            quantizeSpan(p, n, params, dst)
        }
        for r in range {
            let row = src + r * cols
            let target = scratch ?? out.data + r * rowBytes
            switch scheme.granularity {
            case .perTensor:
                quantizeSpan(row, cols, tensorBlock!, target)
            case .perChannel:
                block(row, cols, r, target)
            case .perGroup(let g):
                let groups = cols / g
                for j in 0..<groups {
                    block(row + j * g, g, r * groups + j, target + j * g)
                }
            }
            if let scratch {
                packNibbles(scratch, cols, out.data + r * rowBytes)
            }
        }
    }

    /// Per-tensor block: raw statistics reduced over `threads` pieces of the flat array and combined with
    /// min / max (exact, order-independent); recomputed ignoring NaN if the raw pass saw one.
    static func wholeTensorBlock(_ src: UnsafePointer<Float>, count: Int, scheme: QuantScheme,
                                 threads: Int) -> QuantBlock {
        let pieces = Swift.max(1, threads)
        var partial = [(maxAbs: UInt32, lo: Int32, hi: Int32)](repeating: (0, 0, 0), count: pieces)
        partial.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let results = buffer.baseAddress!
            Parallel.forEachRange(count: count, threads: pieces, minimumChunk: 1 << 16) { i, range in
                let p = src + range.lowerBound
                if scheme.symmetric {
                    results[i].maxAbs = FloatKeys.maxMagnitudeRaw(p, range.count)
                } else {
                    (results[i].lo, results[i].hi) = FloatKeys.minMaxWithZeroRaw(p, range.count)
                }
            }
        }
        let stats = BlockStatistics(maxAbs: partial.map(\.maxAbs).max()!, lo: partial.map(\.lo).min()!,
                                    hi: partial.map(\.hi).max()!)
        return stats.parameters(scheme) { stats in
            if scheme.symmetric {
                stats.maxAbs = FloatKeys.maxMagnitude(src, count).bitPattern
            } else {
                (stats.lo, stats.hi) = FloatKeys.minMaxWithZero(src, count)
            }
        }
    }

    /// Parameters of the block of `n` elements at `p`, with ``QuantBlock/productsAreNotNaN`` set when the
    /// cheaper ``quantizeFinite(_:_:_:_:)`` loop gives the same codes.
    @inline(__always)
    static func blockParameters(_ p: UnsafePointer<Float>, _ n: Int, _ scheme: QuantScheme) -> QuantBlock {
        var stats = BlockStatistics()
        if scheme.symmetric {
            stats.maxAbs = FloatKeys.maxMagnitudeRaw(p, n)
        } else {
            (stats.lo, stats.hi) = FloatKeys.minMaxWithZeroRaw(p, n)
        }
        return stats.parameters(scheme) { stats in
            if scheme.symmetric {
                stats.maxAbs = FloatKeys.maxMagnitude(p, n).bitPattern
            } else {
                (stats.lo, stats.hi) = FloatKeys.minMaxWithZero(p, n)
            }
        }
    }

    /// Quantizes `n` elements with one block's parameters, one byte per element (the code's low 8 bits).
    @inline(__always)
    static func quantizeSpan(_ src: UnsafePointer<Float>, _ n: Int, _ block: QuantBlock, _ dst: UnsafeMutablePointer<UInt8>) {
        if block.productsAreNotNaN {
            quantizeFinite(src, n, block, dst)
        } else {
            quantizeAny(src, n, block, dst)
        }
    }

    /// The code loop for blocks without NaN products: clamps are plain min / max selects (maxps / minps).
    @inline(never)
    static func quantizeFinite(_ src: UnsafePointer<Float>, _ n: Int, _ block: QuantBlock, _ dst: UnsafeMutablePointer<UInt8>) {
        let inv = block.inv
        let low = Float(block.qlo - block.zeroPoint), high = Float(block.qhi - block.zeroPoint)
        let bias = magicBits &- block.zeroPoint
        for i in 0..<n {
            var v = src[i] * inv
            v = v > low ? v : low
            v = v < high ? v : high
            dst[i] = UInt8(truncatingIfNeeded: Int32(bitPattern: (v + magic).bitPattern) &- bias)
        }
    }

    /// The code loop for any block: additionally maps a NaN product to 0 (q = zp). About 4× slower than
    /// ``quantizeFinite(_:_:_:_:)`` because the NaN select stops LLVM from vectorizing it.
    @inline(never)
    static func quantizeAny(_ src: UnsafePointer<Float>, _ n: Int, _ block: QuantBlock, _ dst: UnsafeMutablePointer<UInt8>) {
        let inv = block.inv
        let low = Float(block.qlo - block.zeroPoint), high = Float(block.qhi - block.zeroPoint)
        let bias = magicBits &- block.zeroPoint
        for i in 0..<n {
            var v = src[i] * inv
            v = v == v ? v : 0
            v = v < low ? low : v
            v = v > high ? high : v
            dst[i] = UInt8(truncatingIfNeeded: Int32(bitPattern: (v + magic).bitPattern) &- bias)
        }
    }

    /// Packs `n` one-byte codes into nibbles: element 2j in the low nibble of byte j, 2j+1 in the high one.
    @inline(never)
    static func packNibbles(_ src: UnsafePointer<UInt8>, _ n: Int, _ dst: UnsafeMutablePointer<UInt8>) {
        for j in 0..<(n / 2) {
            dst[j] = (src[2 * j] & 0x0F) | (src[2 * j + 1] &<< 4)
        }
        if n % 2 == 1 {
            dst[n / 2] = src[n - 1] & 0x0F
        }
    }
}

/// Raw block statistics from the fast reductions: max magnitude bits (symmetric) or ordered min / max keys
/// including 0 (asymmetric), where a NaN shows up as a value beyond ±∞.
struct BlockStatistics {
    var maxAbs: UInt32 = 0
    var lo: Int32 = 0
    var hi: Int32 = 0

    /// The block's parameters, with ``QuantBlock/productsAreNotNaN`` set when all elements and `inv` are finite;
    /// `ignoringNaN` recomputes the statistics with NaN ignored, and is only called when the raw ones saw a NaN.
    func parameters(_ scheme: QuantScheme, ignoringNaN: (inout BlockStatistics) -> Void) -> QuantBlock {
        var stats = self
        let finite: Bool
        if scheme.symmetric {
            finite = maxAbs < FloatKeys.infinityBits
            if maxAbs > FloatKeys.infinityBits { ignoringNaN(&stats) }
        } else {
            finite = lo > FloatKeys.orderedMinusInfinity && hi < FloatKeys.orderedPlusInfinity
            if lo < FloatKeys.orderedMinusInfinity || hi > FloatKeys.orderedPlusInfinity { ignoringNaN(&stats) }
        }
        let range = FloatKeys.range(lo: stats.lo, hi: stats.hi)
        var block = QuantBlock(scheme, maxAbs: Float(bitPattern: stats.maxAbs), lo: range.lo, hi: range.hi)
        block.productsAreNotNaN = finite && block.inv.isFinite
        return block
    }
}
