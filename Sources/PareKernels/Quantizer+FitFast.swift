extension Quantizer {
    /// The (scale, zero point) of ``QuantFit/mse`` for the `n` values at `p`, bit for bit those of
    /// ``fitBlockReference(_:_:)``, or nil when the minmax rules apply. `scratch` holds at least `n` Floats.
    ///
    /// The same starts, refinements and choice as the reference; codes are computed as Floats in one vectorizable
    /// loop (clamped, then rounded by adding and subtracting 1.5 · 2^23), sums of codes are exact in Double in any
    /// order, and the x-dependent sums run in the reference's 8 lanes.
    static func fitBlockFast(_ p: UnsafePointer<Float>, _ n: Int, _ scheme: QuantScheme,
                             _ scratch: UnsafeMutablePointer<Float>) -> (Float, Float)? {
        var bestScale: Float = 0, bestZP: Float = 0, bestError = Double.infinity, found = false
        if scheme.symmetric {
            let raw = FloatKeys.maxMagnitudeRaw(p, n)
            guard raw < FloatKeys.infinityBits, raw > 0 else { return nil }
            let maxAbs = Float(bitPattern: raw)
            let half = Float(scheme.type.halfRange)
            for a in QuantFit.ratios {
                var s = maxAbs * a / half
                guard s > 0, (1 / s).isFinite else { continue }
                for _ in 0..<QuantFit.refinements {
                    symmetricCodesFast(p, n, 1 / s, half, scratch)
                    let (cc, cx) = codeSumsSymmetric(p, n, scratch)
                    guard cc > 0 else { break }
                    let next = Float(cx / cc)
                    guard next > 0, (1 / next).isFinite else { break }
                    s = next
                }
                symmetricCodesFast(p, n, 1 / s, half, scratch)
                let error = squaredErrorFast(p, n, scratch, zp: 0, scale: s)
                if !found || error < bestError {
                    (bestScale, bestZP, bestError, found) = (s, Float(scheme.type.symmetricZeroPoint), error, true)
                }
            }
        } else {
            let (loKey, hiKey) = FloatKeys.minMaxRaw(p, n)
            guard loKey > FloatKeys.orderedMinusInfinity, hiKey < FloatKeys.orderedPlusInfinity else { return nil }
            let lo = FloatKeys.float(ordered: loKey), hi = FloatKeys.float(ordered: hiKey)
            guard lo < hi else { return nil }
            let qmin = Float(scheme.type.qmin), qmax = Float(scheme.type.qmax)
            let span = Double(scheme.type.qmax - scheme.type.qmin)
            var sx: Double?
            for a in QuantFit.ratios {
                for b in QuantFit.ratios {
                    let l = lo * a, h = hi * b
                    var s = Float((Double(h) - Double(l)) / span)
                    guard s > 0, (1 / s).isFinite else { continue }
                    var zp = qmin - l / s
                    for _ in 0..<QuantFit.refinements {
                        affineCodesFast(p, n, 1 / s, zp, qmin, qmax, scratch)
                        let (sq, sqq, sqx) = codeSumsAffine(p, n, scratch)
                        let det = Double(n) * sqq - sq * sq
                        guard det > 0 else { break }
                        if sx == nil { sx = laneSum(p, n) }
                        let sD = (Double(n) * sqx - sq * sx!) / det
                        let mD = (sx! - sD * sq) / Double(n)
                        let next = Float(sD), nextZP = Float(-mD / sD)
                        guard next > 0, (1 / next).isFinite, nextZP.isFinite else { break }
                        s = next
                        zp = nextZP
                    }
                    affineCodesFast(p, n, 1 / s, zp, qmin, qmax, scratch)
                    let error = squaredErrorFast(p, n, scratch, zp: zp, scale: s)
                    if !found || error < bestError { (bestScale, bestZP, bestError, found) = (s, zp, error, true) }
                }
            }
        }
        return found ? (bestScale, bestZP) : nil
    }

    /// Centred symmetric codes `clamp(rne(x · inv), −half, half)` as Floats (finite x and inv).
    @inline(__always)
    static func symmetricCodesFast(_ p: UnsafePointer<Float>, _ n: Int, _ inv: Float, _ half: Float,
                                   _ out: UnsafeMutablePointer<Float>) {
        for i in 0..<n {
            var v = p[i] * inv
            v = v > -half ? v : -half
            v = v < half ? v : half
            out[i] = (v + magic) - magic
        }
    }

    /// Affine codes `clamp(rne(x · inv + zp), qmin, qmax)` as Floats (finite x, inv and zp).
    @inline(__always)
    static func affineCodesFast(_ p: UnsafePointer<Float>, _ n: Int, _ inv: Float, _ zp: Float, _ qmin: Float,
                                _ qmax: Float, _ out: UnsafeMutablePointer<Float>) {
        for i in 0..<n {
            var v = p[i] * inv + zp
            v = v > qmin ? v : qmin
            v = v < qmax ? v : qmax
            out[i] = (v + magic) - magic
        }
    }

    /// (Σ c², Σ c·x): the first exact, the second in the reference's 8 lanes.
    @inline(__always)
    static func codeSumsSymmetric(_ p: UnsafePointer<Float>, _ n: Int, _ c: UnsafePointer<Float>) -> (Double, Double) {
        var cc = 0.0
        var l = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        var i = 0
        while i + 8 <= n {
            let c0 = Double(c[i]), c1 = Double(c[i + 1]), c2 = Double(c[i + 2]), c3 = Double(c[i + 3])
            let c4 = Double(c[i + 4]), c5 = Double(c[i + 5]), c6 = Double(c[i + 6]), c7 = Double(c[i + 7])
            cc += ((c0 * c0 + c1 * c1) + (c2 * c2 + c3 * c3)) + ((c4 * c4 + c5 * c5) + (c6 * c6 + c7 * c7))
            l.0 += c0 * Double(p[i]); l.1 += c1 * Double(p[i + 1]); l.2 += c2 * Double(p[i + 2]); l.3 += c3 * Double(p[i + 3])
            l.4 += c4 * Double(p[i + 4]); l.5 += c5 * Double(p[i + 5]); l.6 += c6 * Double(p[i + 6]); l.7 += c7 * Double(p[i + 7])
            i += 8
        }
        var k = 0
        while i < n {
            let ci = Double(c[i]), term = ci * Double(p[i])
            cc += ci * ci
            switch k {
            case 0: l.0 += term
            case 1: l.1 += term
            case 2: l.2 += term
            case 3: l.3 += term
            case 4: l.4 += term
            case 5: l.5 += term
            default: l.6 += term
            }
            i += 1
            k += 1
        }
        return (cc, ((l.0 + l.1) + (l.2 + l.3)) + ((l.4 + l.5) + (l.6 + l.7)))
    }

    /// (Σ q, Σ q², Σ q·x): the first two exact, the third in the reference's 8 lanes.
    @inline(__always)
    static func codeSumsAffine(_ p: UnsafePointer<Float>, _ n: Int, _ q: UnsafePointer<Float>) -> (Double, Double, Double) {
        var sq = 0.0, sqq = 0.0
        var l = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        var i = 0
        while i + 8 <= n {
            let q0 = Double(q[i]), q1 = Double(q[i + 1]), q2 = Double(q[i + 2]), q3 = Double(q[i + 3])
            let q4 = Double(q[i + 4]), q5 = Double(q[i + 5]), q6 = Double(q[i + 6]), q7 = Double(q[i + 7])
            sq += ((q0 + q1) + (q2 + q3)) + ((q4 + q5) + (q6 + q7))
            sqq += ((q0 * q0 + q1 * q1) + (q2 * q2 + q3 * q3)) + ((q4 * q4 + q5 * q5) + (q6 * q6 + q7 * q7))
            l.0 += q0 * Double(p[i]); l.1 += q1 * Double(p[i + 1]); l.2 += q2 * Double(p[i + 2]); l.3 += q3 * Double(p[i + 3])
            l.4 += q4 * Double(p[i + 4]); l.5 += q5 * Double(p[i + 5]); l.6 += q6 * Double(p[i + 6]); l.7 += q7 * Double(p[i + 7])
            i += 8
        }
        var k = 0
        while i < n {
            let qi = Double(q[i]), term = qi * Double(p[i])
            sq += qi
            sqq += qi * qi
            switch k {
            case 0: l.0 += term
            case 1: l.1 += term
            case 2: l.2 += term
            case 3: l.3 += term
            case 4: l.4 += term
            case 5: l.5 += term
            default: l.6 += term
            }
            i += 1
            k += 1
        }
        return (sq, sqq, ((l.0 + l.1) + (l.2 + l.3)) + ((l.4 + l.5) + (l.6 + l.7)))
    }

    /// Σ x in the reference's 8 lanes.
    @inline(__always)
    static func laneSum(_ p: UnsafePointer<Float>, _ n: Int) -> Double {
        laneSum(n) { Double(p[$0]) }
    }

    /// Σ (x − (q − zp) · s)² in the reference's 8 lanes, x̂ computed in Float.
    @inline(__always)
    static func squaredErrorFast(_ p: UnsafePointer<Float>, _ n: Int, _ q: UnsafePointer<Float>, zp: Float,
                                 scale: Float) -> Double {
        laneSum(n) { i in
            let d = Double(p[i]) - Double((q[i] - zp) * scale)
            return d * d
        }
    }

    /// The 8-lane sum of `term(i)` without an array: lanes as a tuple, full chunks of 8 unrolled.
    @inline(__always)
    static func laneSum(_ n: Int, _ term: (Int) -> Double) -> Double {
        var l = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        var i = 0
        while i + 8 <= n {
            l.0 += term(i); l.1 += term(i + 1); l.2 += term(i + 2); l.3 += term(i + 3)
            l.4 += term(i + 4); l.5 += term(i + 5); l.6 += term(i + 6); l.7 += term(i + 7)
            i += 8
        }
        var k = 0
        while i < n {
            switch k {
            case 0: l.0 += term(i)
            case 1: l.1 += term(i)
            case 2: l.2 += term(i)
            case 3: l.3 += term(i)
            case 4: l.4 += term(i)
            case 5: l.5 += term(i)
            default: l.6 += term(i)
            }
            i += 1
            k += 1
        }
        return ((l.0 + l.1) + (l.2 + l.3)) + ((l.4 + l.5) + (l.6 + l.7))
    }

    /// Writes one byte per element (the code's low 8 bits) for an affine block with a Float zero point.
    @inline(never)
    static func quantizeAffine(_ src: UnsafePointer<Float>, _ n: Int, inv: Float, zp: Float, type: WeightType,
                               _ dst: UnsafeMutablePointer<UInt8>) {
        let qmin = Float(type.qmin), qmax = Float(type.qmax)
        for i in 0..<n {
            var v = src[i] * inv + zp
            v = v > qmin ? v : qmin
            v = v < qmax ? v : qmax
            dst[i] = UInt8(truncatingIfNeeded: Int32(bitPattern: (v + magic).bitPattern) &- magicBits)
        }
    }
}
