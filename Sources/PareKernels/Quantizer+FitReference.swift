extension Quantizer {
    /// Scalar reference of ``QuantFit/mse`` (per-channel and per-group schemes): per block, a search for the
    /// parameters that minimize the squared error, then the codes.
    ///
    /// For a block of n values, all finite and not all zero (any other block uses the ``QuantFit/minmax`` rules):
    ///
    /// - **Starting points**, in order: symmetric, `s = max|x| · a / halfRange` for each ratio a of
    ///   ``QuantFit/ratios``; asymmetric, with `lo = min(x) < hi = max(x)` (otherwise the minmax rules),
    ///   `l = lo · a`, `h = hi · b` for every pair (a outer), `s = Float((Double(h) − Double(l)) / (qmax − qmin))`
    ///   and `zp = Float(qmin) − l / s`. A start whose s is not > 0 or whose `1 / s` is not finite is skipped.
    ///   Asymmetric starts are screened: only the ``QuantFit/refined`` with the smallest error (the error defined
    ///   below; ties go to the earlier start) are refined, in that order.
    /// - **Refinement**, ``QuantFit/refinements`` times: codes with the current parameters (symmetric: the centred
    ///   code `c = clamp(rne(x · inv), −halfRange, halfRange)`; asymmetric: `q = clamp(rne(x · inv + zp), qmin,
    ///   qmax)`, `inv = 1 / s` as a Float), then the least-squares fit for those codes, in Double from the Float
    ///   sums: symmetric `s' = Σ c·x / Σ c²`; asymmetric `s' = (n·Σ q·x − Σq·Σx) / (n·Σq² − (Σq)²)`,
    ///   `m' = (Σx − s'·Σq) / n`, `zp' = Float(−m' / s')`; then `s = Float(s')`. Refinement stops early when a
    ///   denominator is not > 0 or the new s is not > 0, its reciprocal or zp' is not finite.
    /// - **Choice**: the error `Σ (x − x̂)²` of each refined start, with x̂ = (q − zp) · s (symmetric: c · s) and
    ///   d = x − x̂ in Float; the first refined start (in refinement order) with the smallest error wins. No start
    ///   left → minmax rules.
    ///
    /// Every Σ is a Float sum in 8 lanes (element i into lane i mod 8, in order of i; products q·x and d·d rounded
    /// to Float first), combined as ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)). Symmetric
    /// blocks keep the integer zero point of the type and the code rule of ``QuantScheme``; asymmetric blocks get
    /// the Float zero point zp and codes `clamp(rne(x · inv + zp), qmin, qmax)`.
    public static func fitReference(_ x: UnsafeBufferPointer<Float>, rows: Int, cols: Int,
                                    scheme: QuantScheme) -> QuantizedMatrix {
        scheme.checkShape(count: x.count, rows: rows, cols: cols, function: "Quantizer.fitReference")
        precondition(scheme.fit == .mse && scheme.granularity != .perTensor,
                     "Quantizer.fitReference: needs an mse scheme, per-channel or per-group")
        let length = scheme.blockLength(rows: rows, cols: cols)
        let blockCount = scheme.blockCount(rows: rows, cols: cols)
        var codes = [Int32](repeating: 0, count: x.count)
        var scales = [Float](), zeroPoints = [Float]()
        for b in 0..<blockCount {
            let elements = (b * length)..<((b + 1) * length)
            let values = Array(x[elements])
            guard let (scale, zp) = fitBlockReference(values, scheme) else {
                let block = minMaxBlockReference(x, elements, scheme)
                scales.append(block.scale)
                zeroPoints.append(Float(block.zeroPoint))
                codeBlockReference(x, elements, block, into: &codes)
                continue
            }
            scales.append(scale)
            zeroPoints.append(zp)
            let inv = 1 / scale
            for i in elements {
                if scheme.symmetric {
                    codes[i] = Int32(symmetricCodeReference(x[i], inv, scheme.type.halfRange)) + Int32(zp)
                } else {
                    codes[i] = Int32(affineCodeReference(x[i], inv, zp, scheme.type))
                }
            }
        }
        return QuantizedMatrix(rows: rows, cols: cols, data: packReference(codes, rows: rows, cols: cols, type: scheme.type),
                               scales: scales, zeroPoints: zeroPoints)
    }

    /// The centred symmetric code `clamp(rne(x · inv), −half, half)` as a Float.
    static func symmetricCodeReference(_ x: Float, _ inv: Float, _ half: Int32) -> Float {
        Swift.min(Swift.max((x * inv).rounded(.toNearestOrEven), -Float(half)), Float(half))
    }

    /// The affine code `clamp(rne(x · inv + zp), qmin, qmax)` as a Float.
    static func affineCodeReference(_ x: Float, _ inv: Float, _ zp: Float, _ type: WeightType) -> Float {
        Swift.min(Swift.max((x * inv + zp).rounded(.toNearestOrEven), Float(type.qmin)), Float(type.qmax))
    }

    /// The 8-lane Float sum of `term(i)` for i in 0..<n described on ``fitReference(_:rows:cols:scheme:)``.
    static func laneSumReference(_ n: Int, _ term: (Int) -> Float) -> Float {
        var lanes = [Float](repeating: 0, count: 8)
        for i in 0..<n { lanes[i % 8] += term(i) }
        return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
    }

    /// The (scale, zero point) ``QuantFit/mse`` chooses for one block, or nil when the minmax rules apply.
    static func fitBlockReference(_ x: [Float], _ scheme: QuantScheme) -> (Float, Float)? {
        guard x.allSatisfy(\.isFinite) else { return nil }
        let n = x.count
        var best: (scale: Float, zp: Float, error: Float)?
        /// Keeps (s, zp) if the error of `codes` dequantized as (code − offset) · s is the smallest so far.
        func consider(_ s: Float, _ zp: Float, _ codes: [Float], offset: Float) {
            let error = laneSumReference(n) { i in
                let d = x[i] - (codes[i] - offset) * s
                return d * d
            }
            if best == nil || error < best!.error { best = (s, zp, error) }
        }
        if scheme.symmetric {
            let half = scheme.type.halfRange
            let maxAbs = x.map { abs($0) }.max() ?? 0
            guard maxAbs > 0 else { return nil }
            let zp = Float(scheme.type.symmetricZeroPoint)
            for a in QuantFit.ratios {
                var s = maxAbs * a / Float(half)
                guard s > 0, (1 / s).isFinite else { continue }
                for _ in 0..<QuantFit.refinements {
                    let inv = 1 / s
                    let c = x.map { symmetricCodeReference($0, inv, half) }
                    let cc = laneSumReference(n) { c[$0] * c[$0] }
                    guard cc > 0 else { break }
                    let cx = laneSumReference(n) { c[$0] * x[$0] }
                    let next = Float(Double(cx) / Double(cc))
                    guard next > 0, (1 / next).isFinite else { break }
                    s = next
                }
                let inv = 1 / s
                // The centred codes c dequantize as c · s, i.e. (c − 0) · s.
                consider(s, zp, x.map { symmetricCodeReference($0, inv, half) }, offset: 0)
            }
        } else {
            let lo = x.min()!, hi = x.max()!
            guard lo < hi else { return nil }
            let sx = Double(laneSumReference(n) { x[$0] })
            func error(_ s: Float, _ zp: Float) -> Float {
                let inv = 1 / s
                return laneSumReference(n) { i in
                    let d = x[i] - (affineCodeReference(x[i], inv, zp, scheme.type) - zp) * s
                    return d * d
                }
            }
            // Screening: every start's error; the QuantFit.refined best (ties: the earlier start) are refined.
            let starts = QuantFit.asymmetricStarts(lo: lo, hi: hi, type: scheme.type).map { (s: $0.s, zp: $0.zp, error: error($0.s, $0.zp)) }
            let ranked = starts.indices.sorted { (starts[$0].error, $0) < (starts[$1].error, $1) }.prefix(QuantFit.refined)
            for index in ranked {
                var (s, zp, _) = starts[index]
                for _ in 0..<QuantFit.refinements {
                    let inv = 1 / s
                    let q = x.map { affineCodeReference($0, inv, zp, scheme.type) }
                    let sq = Double(laneSumReference(n) { q[$0] })
                    let sqq = Double(laneSumReference(n) { q[$0] * q[$0] })
                    let sqx = Double(laneSumReference(n) { q[$0] * x[$0] })
                    guard let next = QuantFit.affineRefit(n: n, sq: sq, sqq: sqq, sqx: sqx, sx: sx) else { break }
                    (s, zp) = next
                }
                let e = error(s, zp)
                if best == nil || e < best!.error { best = (s, zp, e) }
            }
        }
        return best.map { ($0.scale, $0.zp) }
    }
}
