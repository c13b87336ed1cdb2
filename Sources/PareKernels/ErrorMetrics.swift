/// Error statistics between an original tensor and its reconstruction.
///
/// Summation order is fixed, so results are bit-identical for every thread count and between the two entry
/// points (``quantizationError(original:quantized:scheme:threads:)`` equals ``compare(original:reconstructed:threads:)``
/// against ``Quantizer/dequantize(_:scheme:)``): the flat element sequence is cut into fixed chunks of
/// ``chunkLength`` elements (the last one shorter); within a chunk, element i adds to lane i mod 4 in index order,
/// with `d = Double(original) − Double(reconstructed)` and the sums Σd², Σoriginal² in Double; lanes are combined as
/// (l0 + l1) + (l2 + l3); chunk sums are added in chunk order starting from 0. `maxAbs` is the max of |d|, exact in
/// any order. NaN in either input makes `rmse` and `sqnrDB` NaN (callers reject non-finite weights first).
/// `sqnrDB` uses a pure-Swift log10 so the value is the same on every platform.
public enum ErrorMetrics {
    /// Elements per fixed summation chunk.
    public static let chunkLength = 4096

    /// Deterministic: per-chunk partial sums in Double, combined in chunk order — independent of thread count.
    /// The two buffers must have the same count.
    public static func compare(original: UnsafeBufferPointer<Float>, reconstructed: UnsafeBufferPointer<Float>,
                               threads: Int) -> ErrorStats {
        precondition(original.count == reconstructed.count,
                     "ErrorMetrics.compare: original has \(original.count) elements, reconstructed \(reconstructed.count)")
        guard let o = original.baseAddress, let r = reconstructed.baseAddress, !original.isEmpty else {
            return finish(Partial(), count: 0)
        }
        nonisolated(unsafe) let orig = o, recon = r
        return reduce(count: original.count, threads: threads) { start, n, _ in
            accumulate(orig + start, recon + start, n)
        }
    }

    /// Same statistics for a quantized matrix vs its source without materializing the dequantized copy
    /// (each chunk is dequantized into a 16 KiB scratch buffer).
    public static func quantizationError(original: UnsafeBufferPointer<Float>, quantized: QuantizedMatrix,
                                         scheme: QuantScheme, threads: Int) -> ErrorStats {
        Quantizer.checkLayout(quantized, scheme: scheme, function: "ErrorMetrics.quantizationError")
        precondition(original.count == quantized.rows * quantized.cols,
                     "ErrorMetrics.quantizationError: original has \(original.count) elements, the quantized matrix \(quantized.rows) × \(quantized.cols)")
        guard let o = original.baseAddress, !original.isEmpty else { return finish(Partial(), count: 0) }
        nonisolated(unsafe) let orig = o
        return reduce(count: original.count, threads: threads) { start, n, scratch in
            Quantizer.dequantizeRange(quantized, scheme: scheme, start: start, count: n, into: scratch)
            return accumulate(orig + start, scratch, n)
        }
    }

    /// Σd², Σoriginal² and max|d| of one chunk.
    struct Partial {
        var error2 = 0.0
        var signal2 = 0.0
        var maxAbs = 0.0
    }

    /// Runs `chunk(start, count, scratch)` for every fixed chunk, spread over `threads` threads, and adds the
    /// results in chunk order. `scratch` holds ``chunkLength`` Floats private to the calling thread.
    static func reduce(count: Int, threads: Int,
                       _ chunk: (Int, Int, UnsafeMutablePointer<Float>) -> Partial) -> ErrorStats {
        let chunks = (count + chunkLength - 1) / chunkLength
        var partials = [Partial](repeating: Partial(), count: chunks)
        partials.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let results = buffer.baseAddress!
            Parallel.forEachRange(count: chunks, threads: threads, minimumChunk: 16) { _, range in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: chunkLength)
                defer { scratch.deallocate() }
                for c in range {
                    let start = c * chunkLength
                    results[c] = chunk(start, Swift.min(chunkLength, count - start), scratch)
                }
            }
        }
        var total = Partial()
        for p in partials {
            total.error2 += p.error2
            total.signal2 += p.signal2
            total.maxAbs = p.maxAbs > total.maxAbs ? p.maxAbs : total.maxAbs
        }
        return finish(total, count: count)
    }

    /// Sums of one chunk in the documented lane order.
    static func accumulate(_ o: UnsafePointer<Float>, _ r: UnsafePointer<Float>, _ n: Int) -> Partial {
        var e0 = 0.0, e1 = 0.0, e2 = 0.0, e3 = 0.0
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        var m0 = 0.0, m1 = 0.0, m2 = 0.0, m3 = 0.0
        var i = 0
        while i + 4 <= n {
            let a0 = Double(o[i]), a1 = Double(o[i + 1]), a2 = Double(o[i + 2]), a3 = Double(o[i + 3])
            let d0 = a0 - Double(r[i]), d1 = a1 - Double(r[i + 1])
            let d2 = a2 - Double(r[i + 2]), d3 = a3 - Double(r[i + 3])
            e0 += d0 * d0; e1 += d1 * d1; e2 += d2 * d2; e3 += d3 * d3
            s0 += a0 * a0; s1 += a1 * a1; s2 += a2 * a2; s3 += a3 * a3
            let b0 = abs(d0), b1 = abs(d1), b2 = abs(d2), b3 = abs(d3)
            m0 = b0 > m0 ? b0 : m0; m1 = b1 > m1 ? b1 : m1; m2 = b2 > m2 ? b2 : m2; m3 = b3 > m3 ? b3 : m3
            i += 4
        }
        // Tail elements continue their lanes (element i belongs to lane i mod 4).
        if i < n {
            let a = Double(o[i]), d = a - Double(r[i])
            e0 += d * d; s0 += a * a; m0 = abs(d) > m0 ? abs(d) : m0
        }
        if i + 1 < n {
            let a = Double(o[i + 1]), d = a - Double(r[i + 1])
            e1 += d * d; s1 += a * a; m1 = abs(d) > m1 ? abs(d) : m1
        }
        if i + 2 < n {
            let a = Double(o[i + 2]), d = a - Double(r[i + 2])
            e2 += d * d; s2 += a * a; m2 = abs(d) > m2 ? abs(d) : m2
        }
        let ma = m0 > m1 ? m0 : m1, mb = m2 > m3 ? m2 : m3
        return Partial(error2: (e0 + e1) + (e2 + e3), signal2: (s0 + s1) + (s2 + s3), maxAbs: ma > mb ? ma : mb)
    }

    static func finish(_ total: Partial, count: Int) -> ErrorStats {
        let n = Double(count)
        let sqnr: Double
        if total.error2 == 0 {
            sqnr = .infinity
        } else if total.signal2 == 0 {
            sqnr = -.infinity
        } else {
            sqnr = 10 * (DeterministicMath.log10(total.signal2) - DeterministicMath.log10(total.error2))
        }
        return ErrorStats(count: count, maxAbs: total.maxAbs,
                          rmse: count == 0 ? 0 : (total.error2 / n).squareRoot(),
                          sqnrDB: sqnr,
                          signalRMS: count == 0 ? 0 : (total.signal2 / n).squareRoot())
    }
}
