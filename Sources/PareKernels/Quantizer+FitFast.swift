extension Quantizer {
    /// The (scale, zero point) of ``QuantFit/mse`` for the `n` values at `p`, bit for bit those of
    /// ``fitBlockReference(_:_:)``, or nil when the minmax rules apply.
    ///
    /// The same starts, refinements and choice as the reference, restructured: one fused pass per refinement
    /// computes the codes (rounded by adding and subtracting 1.5 · 2^23 after the clamp) and every sum of the
    /// current parameters — code sums, Σ code·x and the squared error — in `SIMD8<Float>` accumulators, which are the
    /// reference's 8 lanes. The error of the last pass is the error of the parameters the reference ends with, and
    /// a refinement that leaves the parameters unchanged ends the loop early (the reference would repeat the step).
    static func fitBlockFast(_ p: UnsafePointer<Float>, _ n: Int, _ scheme: QuantScheme) -> (Float, Float)? {
        var bestScale: Float = 0, bestZP: Float = 0, bestError = Float.infinity, found = false
        func consider(_ s: Float, _ zp: Float, _ error: Float) {
            if !found || error < bestError { (bestScale, bestZP, bestError, found) = (s, zp, error, true) }
        }
        if scheme.symmetric {
            let raw = FloatKeys.maxMagnitudeRaw(p, n)
            guard raw < FloatKeys.infinityBits, raw > 0 else { return nil }
            let maxAbs = Float(bitPattern: raw)
            let half = Float(scheme.type.halfRange)
            let zp = Float(scheme.type.symmetricZeroPoint)
            for a in QuantFit.ratios {
                var s = maxAbs * a / half
                guard s > 0, (1 / s).isFinite else { continue }
                var step = 0
                while true {
                    let sums = fitPass(p, n, s, 0, -half, half)
                    if step == QuantFit.refinements || !(sums.qq > 0) { consider(s, zp, sums.error); break }
                    let next = Float(Double(sums.qx) / Double(sums.qq))
                    guard next > 0, (1 / next).isFinite, next != s else { consider(s, zp, sums.error); break }
                    s = next
                    step += 1
                }
            }
        } else {
            let (loKey, hiKey) = FloatKeys.minMaxRaw(p, n)
            guard loKey > FloatKeys.orderedMinusInfinity, hiKey < FloatKeys.orderedPlusInfinity else { return nil }
            let lo = FloatKeys.float(ordered: loKey), hi = FloatKeys.float(ordered: hiKey)
            guard lo < hi else { return nil }
            let qmin = Float(scheme.type.qmin), qmax = Float(scheme.type.qmax)
            let sx = Double(laneSum(p, n))
            // Screening: the QuantFit.refined starts with the smallest error, kept sorted by (error, start index);
            // a new start only displaces strictly larger errors, so ties stay with the earlier start.
            var top: [(s: Float, zp: Float, sums: FitSums)] = []
            top.reserveCapacity(QuantFit.refined + 1)
            for (s, zp) in QuantFit.asymmetricStarts(lo: lo, hi: hi, type: scheme.type) {
                let sums = fitPass(p, n, s, zp, qmin, qmax)
                var at = top.count
                while at > 0 && sums.error < top[at - 1].sums.error { at -= 1 }
                if at < QuantFit.refined {
                    top.insert((s, zp, sums), at: at)
                    if top.count > QuantFit.refined { top.removeLast() }
                }
            }
            for start in top {
                var (s, zp, sums) = start
                var step = 0
                while true {
                    guard step < QuantFit.refinements,
                          let next = QuantFit.affineRefit(n: n, sq: Double(sums.q), sqq: Double(sums.qq),
                                                          sqx: Double(sums.qx), sx: sx),
                          next.s != s || next.zp != zp else {
                        consider(s, zp, sums.error)
                        break
                    }
                    (s, zp) = next
                    sums = fitPass(p, n, s, zp, qmin, qmax)
                    step += 1
                }
            }
        }
        return found ? (bestScale, bestZP) : nil
    }

    /// The sums of one pass with parameters (s, zp) over codes q = clamp(rne(x · (1/s) + zp), lo, hi) (symmetric:
    /// zp = 0 and the centred range, giving the centred code c). Each is an 8-lane Float sum (see
    /// ``fitReference(_:rows:cols:scheme:)``).
    struct FitSums {
        var q: Float
        var qq: Float
        var qx: Float
        var error: Float
    }

    /// One fused pass: codes and every ``FitSums`` sum, 8 elements at a time in SIMD8 lanes, the tail into lanes
    /// 0 … n % 8 − 1 in order.
    @inline(__always)
    static func fitPass(_ p: UnsafePointer<Float>, _ n: Int, _ s: Float, _ zp: Float, _ lo: Float,
                        _ hi: Float) -> FitSums {
        let inv = 1 / s
        var aq = SIMD8<Float>(), aqq = aq, aqx = aq, ae = aq
        let vinv = SIMD8<Float>(repeating: inv), vzp = SIMD8<Float>(repeating: zp), vs = SIMD8<Float>(repeating: s)
        let vlo = SIMD8<Float>(repeating: lo), vhi = SIMD8<Float>(repeating: hi), vmagic = SIMD8<Float>(repeating: magic)
        var i = 0
        while i + 8 <= n {
            let x = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
            var v = x * vinv + vzp
            v = v.replacing(with: vlo, where: .!(v .> vlo))
            v = v.replacing(with: vhi, where: .!(v .< vhi))
            let q = (v + vmagic) - vmagic
            let d = x - (q - vzp) * vs
            aq += q
            aqq += q * q
            aqx += q * x
            ae += d * d
            i += 8
        }
        var k = 0
        while i < n {
            let x = p[i]
            var v = x * inv + zp
            v = v > lo ? v : lo
            v = v < hi ? v : hi
            let q = (v + magic) - magic
            let d = x - (q - zp) * s
            aq[k] += q
            aqq[k] += q * q
            aqx[k] += q * x
            ae[k] += d * d
            i += 1
            k += 1
        }
        return FitSums(q: combine(aq), qq: combine(aqq), qx: combine(aqx), error: combine(ae))
    }

    /// ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)).
    @inline(__always)
    static func combine(_ l: SIMD8<Float>) -> Float {
        ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]))
    }

    /// Σ x in the reference's 8 lanes.
    @inline(__always)
    static func laneSum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= n {
            acc += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
            i += 8
        }
        var k = 0
        while i < n {
            acc[k] += p[i]
            i += 1
            k += 1
        }
        return combine(acc)
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
